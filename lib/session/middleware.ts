import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Session } from '@ory/kratos-client-fetch';
import type { KratosContext } from '../context';
import type { RequestCredentials } from '../kratos/credentials';
import { KratosExpressError, toKratosErrorBody, type KratosErrorCode } from '../kratos/errors';
import { currentUrl, isBrowserNavigation, loginUrl, safeReturnTo, toBrowserUrl } from '../kratos/request';
import { assertPropertyFree, attachSession, localsOf, rememberContext } from './attach';
import { logoutUrlFor } from './logout';
import { isCachedResult, type SessionCheckResult } from './core';
import type { NextFunction, ResolvedRouteOptions } from './options';

/** A middleware typed on `node:http`: works in Express 4 and 5, Connect and plain `http` servers. */
export type SessionMiddleware = (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void;

const KRATOS_FAILURES = new Set<string>(['KRATOS_UNREACHABLE', 'KRATOS_TIMEOUT', 'KRATOS_UNAVAILABLE', 'KRATOS_BAD_RESPONSE']);

const TEXTS: Record<'UNAUTHENTICATED' | 'AAL2_REQUIRED' | 'REFRESH_REQUIRED' | 'FORBIDDEN', [message: string, reason: string]> = {
  UNAUTHENTICATED: ['The request could not be authorized', 'No valid session credentials found in the request.'],
  AAL2_REQUIRED: [
    'Session does not fulfill the requested Authenticator Assurance Level',
    'An active session was found but it does not fulfill the requested Authenticator Assurance Level. Please verify yourself with a second factor to resolve this issue.',
  ],
  REFRESH_REQUIRED: ['The requested action was forbidden', 'The login session is too old to access this resource. Please re-authenticate.'],
  FORBIDDEN: ['The requested action was forbidden', 'The session does not meet the requirements of this resource.'],
};

function problem(code: keyof typeof TEXTS, redirectTo?: string): KratosExpressError {
  const [message, reason] = TEXTS[code];
  return new KratosExpressError(code as KratosErrorCode, message, { reason, redirectTo });
}

const hasSecondFactor = (session: Session) => session.authenticator_assurance_level === 'aal2' || session.authenticator_assurance_level === 'aal3';

/** The login URL for an outcome: Kratos' own `redirect_browser_to` when it points at Kratos, else built here. */
function loginRedirect(context: KratosContext, req: IncomingMessage, flags: { aal2?: boolean; refresh?: boolean }, kratosUrl?: string): string {
  const { config } = context;
  const returnTo = currentUrl(req).href;
  const fromKratos = kratosUrl === undefined ? undefined : toBrowserUrl(kratosUrl, req, config);
  if (!fromKratos || !new URL(fromKratos).pathname.endsWith('/self-service/login/browser')) {
    return loginUrl(config, req, { returnTo, aal: flags.aal2 ? 'aal2' : undefined, refresh: flags.refresh });
  }
  const url = new URL(fromKratos);
  if (flags.aal2) url.searchParams.set('aal', 'aal2');
  if (flags.refresh) url.searchParams.set('refresh', 'true');
  const kept = url.searchParams.get('return_to');
  const safe = (kept && safeReturnTo(kept, req, config)) || safeReturnTo(returnTo, req, config);
  if (safe) url.searchParams.set('return_to', safe);
  else url.searchParams.delete('return_to');
  return url.href;
}

function sendJson(res: ServerResponse, err: KratosExpressError): void {
  res.statusCode = err.status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'private, no-store');
  res.end(JSON.stringify(toKratosErrorBody(err)));
}

function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 303;
  res.setHeader('Location', location);
  res.setHeader('Cache-Control', 'private, no-store');
  res.end();
}

/** The route's session: found in the cache (at once) or the check under way. */
type Found = Extract<SessionCheckResult, { state: 'active' }> | Promise<SessionCheckResult>;
const pending = (found: Found): found is Promise<SessionCheckResult> => found instanceof Promise;

/**
 * Runs before any session check: remembers the context, refuses to overwrite another middleware's property,
 * then starts the check. When the route needs nothing asynchronous besides the check, a session in the
 * cache is returned at once: no promise, no microtask, `next()` in the same tick (the common case with a
 * cache). The cache is probed first, since where the request's record is kept depends on it, and the
 * record found or made here serves the property check, without looking for it on the request again.
 */
function prepare(context: KratosContext, req: IncomingMessage, syncHits: boolean): Found {
  const { sessions } = context;
  let hit: Exclude<Found, Promise<SessionCheckResult>> | undefined;
  let credentials: RequestCredentials | undefined;
  if (syncHits) {
    try {
      const probed = sessions.probe(req);
      if (isCachedResult(probed)) hit = probed;
      else credentials = probed;
    } catch {
      // a malformed credential: the check below rejects with the same error, after the property check
    }
  }
  const state = rememberContext(req, context, hit !== undefined);
  assertPropertyFree(req, context.config.sessionProperty, state);
  return hit ?? sessions.check(req, credentials);
}

/** Builds `requireSession` for one context and validated route options. */
export function requireSessionFor(context: KratosContext, route: ResolvedRouteOptions): SessionMiddleware {
  const { config } = context;
  const syncHits = route.checks.length === 0 && !route.logoutUrl;

  /** The route's synchronous requirements on an active session; attaches it when they are met. */
  function admit(req: IncomingMessage, res: ServerResponse, session: Session): KratosExpressError | undefined {
    if (route.aal2 && !hasSecondFactor(session)) return problem('AAL2_REQUIRED', loginRedirect(context, req, { aal2: true }));
    if (route.maxAge !== undefined) {
      const authenticatedAt = session.authenticated_at?.getTime() ?? Number.NaN;
      if (!(Date.now() - authenticatedAt <= route.maxAge)) return problem('REFRESH_REQUIRED', loginRedirect(context, req, { refresh: true }));
    }
    attachSession(req, res, config.sessionProperty, session);
    return undefined;
  }

  async function evaluate(req: IncomingMessage, res: ServerResponse, check: Promise<SessionCheckResult>): Promise<KratosExpressError | undefined> {
    const result = await check;
    if (result.state === 'unauthenticated') return problem('UNAUTHENTICATED', loginRedirect(context, req, {}));
    if (result.state === 'aal2_required') return problem('AAL2_REQUIRED', loginRedirect(context, req, { aal2: true }, result.redirectBrowserTo));
    if (result.state === 'refresh_required') return problem('REFRESH_REQUIRED', loginRedirect(context, req, { refresh: true }, result.redirectBrowserTo));
    const { session } = result;
    const refusal = admit(req, res, session);
    if (refusal) return refusal;
    for (const check of route.checks) {
      if ((await check(session, req)) !== true) return problem('FORBIDDEN');
    }
    if (route.logoutUrl) localsOf(res).logoutUrl = await logoutUrlFor(context, req);
    return undefined;
  }

  function refuse(req: IncomingMessage, res: ServerResponse, next: NextFunction, refusal: KratosExpressError): void {
    const browser = isBrowserNavigation(req);
    if (refusal.code === 'FORBIDDEN') return browser ? next(refusal) : sendJson(res, refusal);
    const mode = route.onUnauthenticated;
    if (typeof mode === 'function') return mode(req, res, next, refusal);
    if (mode === 'error') return next(refusal);
    if (mode === 'redirect' || browser) return redirect(res, refusal.redirectTo!);
    sendJson(res, refusal);
  }

  return function requireSessionMiddleware(req, res, next) {
    let found: Found;
    let refusal: KratosExpressError | undefined;
    try {
      found = prepare(context, req, syncHits);
      if (!pending(found)) refusal = admit(req, res, found.session);
    } catch (err) {
      return next(err);
    }
    // next() is called outside the try: an error thrown downstream is not this middleware's to report
    if (!pending(found)) return refusal ? refuse(req, res, next, refusal) : next();
    evaluate(req, res, found).then((refused) => (refused ? refuse(req, res, next, refused) : next()), next);
  };
}

/** Builds `optionalSession` for one context and validated route options. */
export function optionalSessionFor(context: KratosContext, route: ResolvedRouteOptions): SessionMiddleware {
  const { config } = context;
  const tolerate = (err: unknown) => route.continueOnError && KRATOS_FAILURES.has((err as { code?: string })?.code ?? '');

  async function evaluate(req: IncomingMessage, res: ServerResponse, check: Promise<SessionCheckResult>): Promise<void> {
    let result;
    try {
      result = await check;
    } catch (err) {
      if (tolerate(err)) return;
      throw err;
    }
    if (result.state !== 'active') return;
    attachSession(req, res, config.sessionProperty, result.session);
    if (route.logoutUrl) {
      try {
        localsOf(res).logoutUrl = await logoutUrlFor(context, req);
      } catch (err) {
        if (!tolerate(err)) throw err;
      }
    }
  }

  return function optionalSessionMiddleware(req, res, next) {
    let found: Found;
    try {
      found = prepare(context, req, !route.logoutUrl);
      if (!pending(found)) attachSession(req, res, config.sessionProperty, found.session);
    } catch (err) {
      return next(err);
    }
    if (!pending(found)) return next();
    evaluate(req, res, found).then(() => next(), next);
  };
}
