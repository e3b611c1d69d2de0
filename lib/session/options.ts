import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeValue } from '../kratos/config';
import { parseDuration } from '../kratos/duration';
import type { KratosExpressError } from '../kratos/errors';
import type { SessionCheck } from './checks';

export type NextFunction = (err?: unknown) => void;

/**
 * Handles a request that needs a (better) login. `error.code` is `UNAUTHENTICATED`, `AAL2_REQUIRED` or
 * `REFRESH_REQUIRED`; `error.redirectTo` is the login URL the kit would redirect a browser to.
 */
export type LoginNeededHandler = (req: IncomingMessage, res: ServerResponse, next: NextFunction, error: KratosExpressError) => void;

/** Options of `requireSession()`. */
export interface RequireSessionOptions {
  /** `'aal2'`: sessions without a second factor are sent to login with `aal=aal2`. Default `'aal1'`. */
  aal?: 'aal1' | 'aal2';
  /** Longest time since `authenticated_at` (ms or `'10m'`); older sessions are sent to login with `refresh=true`. */
  maxAge?: number | string;
  /** Requirement(s) on the session; any `false` answers 403 FORBIDDEN. */
  check?: SessionCheck | SessionCheck[];
  /**
   * What to do when a login is needed. `'auto'` (default): browsers are redirected (303), API/AJAX calls
   * get JSON 401/403; `'redirect'`: always redirect; `'error'`: `next(err)`; a function: your handler.
   */
  onUnauthenticated?: 'auto' | 'redirect' | 'error' | LoginNeededHandler;
  /** Fill `res.locals.logoutUrl` (one extra Kratos call per request). */
  logoutUrl?: boolean;
}

/** Options of `optionalSession()`. */
export interface OptionalSessionOptions {
  /** Kratos down: `'error'` (default) calls `next(err)`; `'continue'` goes on without a session. */
  onError?: 'error' | 'continue';
  /** Fill `res.locals.logoutUrl` when a session is present. */
  logoutUrl?: boolean;
}

export interface ResolvedRouteOptions {
  readonly aal2: boolean;
  readonly maxAge?: number;
  readonly checks: readonly SessionCheck[];
  readonly onUnauthenticated: 'auto' | 'redirect' | 'error' | LoginNeededHandler;
  readonly continueOnError: boolean;
  readonly logoutUrl: boolean;
}

export const REQUIRE_OPTION_NAMES = ['aal', 'maxAge', 'check', 'onUnauthenticated', 'logoutUrl'] as const;
export const OPTIONAL_OPTION_NAMES = ['onError', 'logoutUrl'] as const;

/** Validates route options; returns the resolved options and every problem found. */
export function checkRouteOptions(
  options: RequireSessionOptions & OptionalSessionOptions,
  kind: 'requireSession' | 'optionalSession',
): { route: ResolvedRouteOptions; problems: string[] } {
  const problems: string[] = [];
  const { aal = 'aal1', maxAge, check, onUnauthenticated = 'auto', logoutUrl = false, onError = 'error' } = options;
  if (aal !== 'aal1' && aal !== 'aal2') problems.push(`aal: ${describeValue(aal)} is not an assurance level. Use 'aal1' (any session) or 'aal2' (second factor required).`);
  let maxAgeMs: number | undefined;
  if (maxAge !== undefined) {
    maxAgeMs = parseDuration(maxAge);
    if (maxAgeMs === undefined) problems.push(`maxAge: ${describeValue(maxAge)} is not a valid duration. Use milliseconds or a string such as '10m'.`);
  }
  const checks = check === undefined ? [] : Array.isArray(check) ? check : [check];
  if (checks.some((c) => typeof c !== 'function')) {
    problems.push(`check: ${describeValue(check)} is not a function or a list of functions. Use (session, req) => boolean, or helpers such as hasVerifiedEmail().`);
  }
  if (typeof onUnauthenticated !== 'function' && !['auto', 'redirect', 'error'].includes(onUnauthenticated)) {
    problems.push(`onUnauthenticated: ${describeValue(onUnauthenticated)} is not valid. Use 'auto', 'redirect', 'error' or a function (req, res, next, error).`);
  }
  if (typeof logoutUrl !== 'boolean') problems.push(`logoutUrl: ${describeValue(logoutUrl)} is not a boolean. Use true to fill res.locals.logoutUrl.`);
  if (onError !== 'error' && onError !== 'continue') {
    problems.push(`onError: ${describeValue(onError)} is not valid. Use 'error' (next(err) when Kratos fails) or 'continue' (go on without a session).`);
  }
  if (kind === 'optionalSession') {
    for (const name of ['aal', 'maxAge', 'check', 'onUnauthenticated'] as const) {
      if (options[name] !== undefined) problems.push(`${name}: optionalSession() never redirects or refuses; use requireSession({ ${name} }) on the routes that need it.`);
    }
  } else if (options.onError !== undefined) {
    problems.push("onError: requireSession() always passes Kratos failures to next(err); onError: 'continue' is an optionalSession() option.");
  }
  return {
    route: { aal2: aal === 'aal2', maxAge: maxAgeMs, checks, onUnauthenticated, continueOnError: onError === 'continue', logoutUrl: logoutUrl === true },
    problems,
  };
}

/** Catches `app.use(requireSession)`: the factory handed to Express instead of its result. */
export function factoryMisuse(name: string, args: ArrayLike<unknown>): Error | undefined {
  const first = args[0] as { headers?: unknown; method?: unknown } | undefined;
  if (args.length >= 2 && first && typeof first === 'object' && typeof first.headers === 'object' && typeof first.method === 'string') {
    const err = new TypeError(`It looks like you wrote app.use(${name}); call the factory instead: app.use(${name}()).`);
    (err as TypeError & { code: string }).code = 'KRATOS_CONFIG_INVALID';
    return err;
  }
  return undefined;
}
