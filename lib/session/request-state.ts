import type { IncomingMessage } from 'node:http';
import type { Session } from '@ory/kratos-client-fetch';
import type { KratosContext } from '../context';

/**
 * What the kit remembers about one request, in one record. Where the record lives is chosen for the garbage
 * collector, measured on requests re-prototyped as Express does:
 * - usually a symbol property of the request. Not a `WeakMap` entry: a weak map's values outlived their
 *   request in the young generation, so every uncached request's fresh session and check were promoted to
 *   the old generation (GC pauses 11 against 6 us per uncached `requireSession`);
 * - for a request served from the session cache, a `WeakMap` entry: the record then points only at
 *   long-lived objects (the cached session), so keeping it a little longer costs nothing, and adding a
 *   property to a re-prototyped request costs 3-4 us against 0.2 us for `WeakMap.set`.
 */
export interface RequestState {
  /** The context whose middleware handled the request first. */
  context?: KratosContext;
  /** The session attached last by the kit's middleware. */
  session?: Session;
  /** Sessions attached before `session` on this request (another context or property), rarely any. */
  earlier?: Session[];
  /** The checker of the first session check and its memoised result. */
  checker?: object;
  check?: Promise<unknown>;
  /** Memoised results of other checkers (a second context on the same request), rarely any. */
  otherChecks?: Map<object, Promise<unknown>>;
  /** Memoised logout URLs by `return_to`. */
  logoutUrls?: Map<string, Promise<string | undefined>>;
  /** The request property served by the kit's accessor on Express' request prototype, and its session. */
  property?: string;
  propertySession?: Session;
}

const STATE = Symbol('kratos-express.request');
type WithState = IncomingMessage & { [STATE]?: RequestState };
const servedFromCache = new WeakMap<IncomingMessage, RequestState>();

/**
 * The state of a request, created on first use; `fromCache`: it is created for a session served from the
 * cache (see {@link RequestState} for why that changes where it is kept).
 */
export function stateOf(req: IncomingMessage, fromCache = false): RequestState {
  let state = peekState(req);
  if (state === undefined) {
    state = { context: undefined, session: undefined, earlier: undefined, checker: undefined, check: undefined, otherChecks: undefined, logoutUrls: undefined, property: undefined, propertySession: undefined };
    if (fromCache) servedFromCache.set(req, state);
    else (req as WithState)[STATE] = state;
  }
  return state;
}

/**
 * The state of a request if the kit has seen it. The symbol is looked for on the request itself only: on a
 * request Express re-prototyped, reading a property it lacks walks its whole prototype chain in V8's runtime.
 */
export function peekState(req: IncomingMessage): RequestState | undefined {
  return servedFromCache.get(req) ?? (Object.hasOwn(req, STATE) ? (req as WithState)[STATE] : undefined);
}

/** The memoised result of `checker` on this request, if any. */
export function memoOf<T>(state: RequestState, checker: object): Promise<T> | undefined {
  if (state.checker === checker) return state.check as Promise<T>;
  return state.otherChecks?.get(checker) as Promise<T> | undefined;
}

/** Memoises the result of `checker` on this request. */
export function memoize(state: RequestState, checker: object, result: Promise<unknown>): void {
  if (state.checker === undefined || state.checker === checker) {
    state.checker = checker;
    state.check = result;
  } else {
    (state.otherChecks ??= new Map()).set(checker, result);
  }
}
