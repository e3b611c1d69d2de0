import { IncomingMessage } from 'node:http';
import type { Session } from '@ory/kratos-client-fetch';
import { peekState, type RequestState } from './request-state';

/**
 * How the session becomes `req[sessionProperty]`.
 *
 * On an Express request the property is served by an accessor on Express' own request prototype (the one
 * every app's `app.request` inherits from, where Express itself defines `req.ip` and `req.protocol`), which
 * reads the request's record. Express re-prototypes each request, and an own property added to such a
 * request gives it a hidden class of its own: counted with callgrind, attaching through the accessor
 * instead costs about 17,000 instructions less per cache hit (see docs/performance.md). Assigning the
 * property (`req.session = other`) works as on any object: it makes an own property, which then hides the
 * accessor for that request.
 *
 * Anywhere else (Connect, plain `http`), when the prototype already has something of that name or is
 * frozen, or for a second property on the same request, the session is an own property as usual.
 */
const served = new WeakMap<object, Set<string>>();

/**
 * The prototype of `app.request` when `req` was prototyped by an Express app (`app.request` has `app`) and
 * `app.request` itself has nothing named `property` (which would hide an accessor further up).
 */
function expressRequestPrototype(req: IncomingMessage, property: string): object | undefined {
  const appRequest = Object.getPrototypeOf(req) as object | null;
  if (appRequest === null || !Object.hasOwn(appRequest, 'app') || Object.hasOwn(appRequest, property)) return undefined;
  return (Object.getPrototypeOf(appRequest) as object | null) ?? undefined;
}

/** The value the accessor gives for `property`, from the request's record. */
const servedValue = (state: RequestState | undefined, property: string): Session | undefined =>
  state !== undefined && state.property === property ? state.propertySession : undefined;

/**
 * Defines the accessor for `property` on `proto` once; false when `proto` is not a request prototype below
 * `IncomingMessage.prototype`, has that name, or is frozen. Checked when defining, not on every request.
 */
function serveFrom(proto: object, property: string): boolean {
  let properties = served.get(proto);
  if (properties?.has(property)) return true;
  if (proto === IncomingMessage.prototype || !IncomingMessage.prototype.isPrototypeOf(proto)) return false;
  if (property in proto || !Object.isExtensible(proto)) return false;
  Object.defineProperty(proto, property, {
    configurable: true,
    enumerable: true,
    get(this: IncomingMessage) {
      return servedValue(peekState(this), property);
    },
    set(this: IncomingMessage, value: unknown) {
      Object.defineProperty(this, property, { configurable: true, enumerable: true, writable: true, value });
    },
  });
  if (!properties) served.set(proto, (properties = new Set()));
  properties.add(property);
  return true;
}

/**
 * What `req[property]` reads, given the request's record (`state`): when the kit's accessor serves the
 * property, its value is taken from the record, without running the accessor, which would look the record
 * up again. A cache hit checks the property this way, as each lookup of something a re-prototyped Express
 * request does not have itself walks its prototype chain in V8's runtime.
 */
export function readSessionProperty(req: IncomingMessage, property: string, state: RequestState): unknown {
  if (!Object.hasOwn(req, property)) {
    const proto = expressRequestPrototype(req, property);
    if (proto !== undefined && served.get(proto)?.has(property)) return servedValue(state, property);
  }
  return (req as unknown as Record<string, unknown>)[property];
}

/** Makes `session` the value of `req[property]`; `state` is the request's record. */
export function setSessionProperty(req: IncomingMessage, state: RequestState, property: string, session: Session): void {
  if ((state.property === undefined || state.property === property) && !Object.hasOwn(req, property)) {
    const proto = expressRequestPrototype(req, property);
    if (proto !== undefined && serveFrom(proto, property)) {
      state.property = property;
      state.propertySession = session;
      return;
    }
  }
  (req as unknown as Record<string, unknown>)[property] = session;
}
