import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Session } from '@ory/kratos-client-fetch';
import type { KratosContext } from '../context';
import { KratosExpressError } from '../kratos/errors';
import { readSessionProperty, setSessionProperty } from './property';
import { peekState, stateOf, type RequestState } from './request-state';

type WithLocals = ServerResponse & { locals?: Record<string, unknown> };

/** The `res.locals` object, created on plain `http`/Connect responses that have none. */
export function localsOf(res: ServerResponse): Record<string, unknown> {
  const withLocals = res as WithLocals;
  if (withLocals.locals === undefined || withLocals.locals === null) withLocals.locals = {};
  return withLocals.locals;
}

/**
 * The Kratos session attached to this request by the kit's middleware, whatever `sessionProperty` is;
 * `undefined` when there is none. Typed, so it is the way to read the session next to express-session.
 *
 * @example
 * app.get('/me', requireSession(), (req, res) => res.json(getSession(req)!.identity?.traits));
 */
export function getSession(req: IncomingMessage): Session | undefined {
  return peekState(req)?.session;
}

/** The context whose middleware handled this request, if any. */
export function contextOfRequest(req: IncomingMessage): KratosContext | undefined {
  return peekState(req)?.context;
}

/**
 * Remembers the context handling the request and returns the request's record; `fromCache`: the request's
 * session comes from the cache.
 */
export function rememberContext(req: IncomingMessage, context: KratosContext, fromCache = false): RequestState {
  const state = stateOf(req, fromCache);
  state.context ??= context;
  return state;
}

function attachedHere(state: RequestState, value: object): boolean {
  return state.session === value || (state.earlier !== undefined && state.earlier.includes(value as Session));
}

/**
 * Refuses to overwrite a request property some other middleware owns (express-session's `req.session`):
 * silent corruption of either session would be worse than a clear 500. `state`: the request's record.
 */
export function assertPropertyFree(req: IncomingMessage, property: string, state: RequestState): void {
  const current = readSessionProperty(req, property, state);
  if (current === undefined || current === null || (typeof current === 'object' && attachedHere(state, current))) return;
  throw new KratosExpressError(
    'KRATOS_SESSION_PROPERTY_CONFLICT',
    `req.${property} is already set by another middleware (express-session?). Pass sessionProperty: 'kratosSession' to kratos-express and read the Kratos session with getSession(req) or req.kratosSession.`,
  );
}

/** Attaches the session as `req[property]`, `res.locals.session` and for {@link getSession}. */
export function attachSession(req: IncomingMessage, res: ServerResponse, property: string, session: Session): void {
  const state = stateOf(req);
  if (state.session !== undefined && state.session !== session) (state.earlier ??= []).push(state.session);
  state.session = session;
  setSessionProperty(req, state, property, session);
  localsOf(res).session = session;
}
