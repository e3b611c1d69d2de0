import type { IncomingMessage, ServerResponse } from 'node:http';
import { contextFor, type KratosContext } from '../context';
import { KratosConfigError, KRATOS_OPTION_NAMES, unknownOptionProblems } from '../kratos/config';
import { describeValue as describe } from '../kratos/config';
import { isKratosExpressError, KratosExpressError } from '../kratos/errors';
import { safeReturnTo } from '../kratos/request';
import type { FlowType } from '../render/types';
import { initUrl, sendErrorPage, type Deps } from './deps';
import { flowPage } from './flow-page';
import { CLIENT_SCRIPT_ROUTE, checkFlowRouteOptions, FLOW_ROUTE_OPTION_NAMES, type ResolvedFlowOptions } from './options';
import { errorPage, logoutPage } from './other-pages';
import { flowParams, FLOW_PARAMS } from './params';
import { mountPath, redirect, type MountedRequest, type PageRequest } from './respond';
import { sendClientScript } from './script';
import type { FlowRouteOptions, FlowRoutesOptions, FlowStartParams } from './types';

type Next = (err?: unknown) => void;

/** The middleware `flowRoutes()` returns, with imperative helpers for the app's own routes. */
export interface FlowRoutesMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: Next): void;
  /**
   * Sends the browser (303) to start a flow at Kratos, exactly as the flow routes do. `returnTo` is dropped
   * unless it is same-origin or allowed; other invalid values throw `BAD_REQUEST`.
   *
   * @example
   * app.get('/upgrade', (req, res) => flows.redirectToFlow(req, res, 'login', { aal: 'aal2', returnTo: '/admin' }));
   */
  redirectToFlow(req: IncomingMessage, res: ServerResponse, flow: FlowType, params?: FlowStartParams): void;
  /**
   * Sends the browser to sign in (303), then back to `returnTo`.
   *
   * @example
   * app.get('/buy', (req, res) => req.session ? buy(req, res) : flows.login(req, res, { returnTo: '/buy' }));
   */
  login(req: IncomingMessage, res: ServerResponse, params?: FlowStartParams): void;
}

const FLOW_TYPES = new Set<string>(['login', 'registration', 'settings', 'recovery', 'verification']);
const PARAM_NAMES: Record<keyof FlowStartParams, string> = {
  returnTo: 'return_to',
  refresh: 'refresh',
  aal: 'aal',
  loginChallenge: 'login_challenge',
  organization: 'organization',
  via: 'via',
  afterVerificationReturnTo: 'after_verification_return_to',
};

function looksLikeRequest(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'headers' in value && ('socket' in value || 'method' in value);
}

function splitUrl(url: string): { path: string; query: URLSearchParams } {
  const hash = url.indexOf('#');
  const clean = hash === -1 ? url : url.slice(0, hash);
  const mark = clean.indexOf('?');
  return mark === -1 ? { path: clean, query: new URLSearchParams() } : { path: clean.slice(0, mark), query: new URLSearchParams(clean.slice(mark + 1)) };
}

function failed(page: PageRequest, deps: Deps, err: unknown, next: Next): void {
  if (page.res.headersSent || !isKratosExpressError(err)) return next(err);
  if (err.headers) for (const [name, value] of Object.entries(err.headers)) page.res.setHeader(name, value);
  const message = err.expose ? err.message : 'The sign-in service is unavailable at the moment. Please try again in a little while.';
  sendErrorPage(page, deps, err.status, message).catch(next);
}

function startQuery(flow: FlowType, params: FlowStartParams, req: IncomingMessage, deps: Deps): Record<string, string> {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params ?? {}) as [keyof FlowStartParams, unknown][]) {
    const param = PARAM_NAMES[name];
    if (!param) throw new TypeError(`redirectToFlow: ${describe(name)} is not a parameter. Use ${Object.keys(PARAM_NAMES).join(', ')}.`);
    if (!FLOW_PARAMS[flow].includes(param)) throw new TypeError(`redirectToFlow: ${name} does not apply to the ${flow} flow.`);
    if (value === undefined) continue;
    if (param === 'return_to' || param === 'after_verification_return_to') {
      const safe = safeReturnTo(value, req, deps.context.config);
      if (safe) query.set(param, safe);
    } else query.set(param, String(value));
  }
  const checked = flowParams(flow, query, req, deps.context.config);
  if ('problem' in checked) throw new KratosExpressError('BAD_REQUEST', checked.problem);
  return checked.params;
}

function createFlowRoutes(context: KratosContext, options: ResolvedFlowOptions): FlowRoutesMiddleware {
  const deps: Deps = { context, options };

  function handle(page: PageRequest): Promise<void> {
    const name = options.byPath.get(page.routePath)!;
    if (name === 'error') return errorPage(page, deps);
    if (name === 'logout') return logoutPage(page, deps);
    return flowPage(name, page, deps);
  }

  const middleware = function kratosFlowRoutes(req: IncomingMessage, res: ServerResponse, next: Next): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const { path, query } = splitUrl(req.url ?? '/');
    if (path === CLIENT_SCRIPT_ROUTE) return sendClientScript(req, res);
    if (!options.byPath.has(path)) return next();
    const page: PageRequest = { req: req as MountedRequest, res, mount: mountPath(req as MountedRequest), routePath: path, query };
    let running: Promise<void>;
    try {
      running = handle(page);
    } catch (err) {
      running = Promise.reject(err);
    }
    running.catch((err: unknown) => failed(page, deps, err, next));
  } as FlowRoutesMiddleware;

  middleware.redirectToFlow = function redirectToFlow(req, res, flow, params = {}) {
    if (!FLOW_TYPES.has(flow)) throw new TypeError(`redirectToFlow: ${describe(flow)} is not a flow. Use login, registration, settings, recovery or verification.`);
    redirect(res, initUrl(deps, req, flow, startQuery(flow, params, req, deps)));
  };
  middleware.login = function login(req, res, params = {}) {
    middleware.redirectToFlow(req, res, 'login', params);
  };
  return middleware;
}

function checkCalled(options: unknown, factory: string): void {
  if (looksLikeRequest(options)) {
    throw new TypeError(`${factory} was used as a middleware without being called. Use app.use(${factory}()) instead of app.use(${factory}).`);
  }
}

/**
 * Route handlers for server-rendered login, registration, settings, recovery, verification, error and
 * logout pages: ONE middleware (typed on `node:http`, so it works on Express 4 and 5, Connect and plain
 * `http`) that serves the pages under its mount path and calls `next()` for every other path. Throws a
 * `KratosConfigError` listing every invalid option.
 *
 * @example
 * app.use(flowRoutes());                                                   // /login /registration ...
 * app.use('/auth', flowRoutes({ routes: { registration: false }, render: 'kratos/page' }));
 */
export function flowRoutes(options: FlowRoutesOptions = {}): FlowRoutesMiddleware {
  checkCalled(options, 'flowRoutes');
  const isObject = typeof options === 'object' && options !== null && !Array.isArray(options);
  const { resolved, problems } = isObject ? checkFlowRouteOptions(options) : { resolved: undefined, problems: [] };
  const context = contextFor(options, process.env, FLOW_ROUTE_OPTION_NAMES, problems);
  return createFlowRoutes(context, resolved!);
}

/**
 * The flow routes bound to an existing context (what `createKratos(...).flowRoutes()` returns): the Kratos
 * options come from the context; only route options are accepted here.
 *
 * @example
 * const routes = flowRoutesFor(createContext({ publicUrl: 'http://127.0.0.1:4433' }), { appName: 'Acme' });
 */
export function flowRoutesFor(context: KratosContext, options: FlowRouteOptions = {}): FlowRoutesMiddleware {
  checkCalled(options, 'flowRoutes');
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new KratosConfigError([`options: ${describe(options)} is not an object. Pass route options such as { routes: { registration: false } } or nothing.`]);
  }
  const problems: string[] = [];
  for (const name of Object.keys(options)) {
    if (KRATOS_OPTION_NAMES.includes(name)) problems.push(`${name}: is a Kratos option. Set it once in createKratos({ ${name} }) instead of in flowRoutes().`);
  }
  problems.push(...unknownOptionProblems(options, [...FLOW_ROUTE_OPTION_NAMES, ...KRATOS_OPTION_NAMES]));
  const checked = checkFlowRouteOptions(options);
  problems.push(...checked.problems);
  if (problems.length > 0) throw new KratosConfigError(problems);
  return createFlowRoutes(context, checked.resolved!);
}
