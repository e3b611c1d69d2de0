import { contextFor } from '../context';
import type { KratosOptions } from '../kratos/config';
import { requireSessionFor, optionalSessionFor, type SessionMiddleware } from './middleware';
import { checkRouteOptions, factoryMisuse, OPTIONAL_OPTION_NAMES, REQUIRE_OPTION_NAMES, type OptionalSessionOptions, type RequireSessionOptions } from './options';

/** Route option names each factory validates (including the other factory's, to explain the mix-up). */
const REQUIRE_CHECKED: readonly string[] = [...REQUIRE_OPTION_NAMES, 'onError'];
const OPTIONAL_CHECKED: readonly string[] = [...OPTIONAL_OPTION_NAMES, 'aal', 'maxAge', 'check', 'onUnauthenticated'];

function pick<T extends object>(options: T, names: readonly string[]): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const name of names) if (Object.hasOwn(options, name)) out[name] = (options as Record<string, unknown>)[name];
  return out as Partial<T>;
}

/** `app.use(requireSession)` called the factory with (req, res, next): report it to the app's error handler. */
function reportMisuse(err: Error, next: unknown): SessionMiddleware {
  if (typeof next !== 'function') throw err;
  next(err);
  return function misusedFactory(_req, _res, nextAgain) {
    nextAgain(err);
  };
}

/**
 * Guards a route: attaches the Kratos session (`req.session`, `res.locals.session`, `getSession(req)`) or
 * answers as Kratos would have the app answer: browsers go to login (303, with a safe `return_to`,
 * `aal=aal2` or `refresh=true`), API/AJAX calls get Kratos' JSON error envelope (401/403). Kratos failures
 * go to `next(err)` (502/503/504), never to login. Kratos options may be given here (or come from
 * `KRATOS_PUBLIC_URL`/`KRATOS_BROWSER_URL`); factories with equal Kratos options share one pool and cache.
 *
 * @example
 * app.get('/dashboard', requireSession(), (req, res) => res.send(getSession(req)!.identity?.traits.email));
 * app.get('/admin', requireSession({ aal: 'aal2', maxAge: '10m', check: traitEquals('role', 'admin') }), handler);
 */
export function requireSession(options: RequireSessionOptions & KratosOptions = {}): SessionMiddleware {
  // eslint-disable-next-line prefer-rest-params
  const misuse = factoryMisuse('requireSession', arguments);
  // eslint-disable-next-line prefer-rest-params
  if (misuse) return reportMisuse(misuse, arguments[2]);
  const safeOptions = options ?? {};
  const { route, problems } = checkRouteOptions(pick(safeOptions, REQUIRE_CHECKED), 'requireSession');
  const context = contextFor(safeOptions, process.env, REQUIRE_CHECKED, problems);
  return requireSessionFor(context, route);
}

/**
 * Attaches the Kratos session when there is one and never redirects or refuses. When Kratos fails it calls
 * `next(err)`, unless `onError: 'continue'` (then the request goes on without a session: "Kratos down"
 * looks like "logged out" on that page, so only use it where that is acceptable).
 *
 * @example
 * app.use(optionalSession());
 * app.get('/', (req, res) => res.render('home', { session: res.locals.session }));
 */
export function optionalSession(options: OptionalSessionOptions & KratosOptions = {}): SessionMiddleware {
  // eslint-disable-next-line prefer-rest-params
  const misuse = factoryMisuse('optionalSession', arguments);
  // eslint-disable-next-line prefer-rest-params
  if (misuse) return reportMisuse(misuse, arguments[2]);
  const safeOptions = options ?? {};
  const { route, problems } = checkRouteOptions(pick(safeOptions, OPTIONAL_CHECKED), 'optionalSession');
  const context = contextFor(safeOptions, process.env, OPTIONAL_CHECKED, problems);
  return optionalSessionFor(context, route);
}
