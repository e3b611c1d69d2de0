import type { IncomingMessage } from 'node:http';
import type { Session } from '@ory/kratos-client-fetch';
import { createContext, type KratosContext } from './context';
import { KratosConfigError, KRATOS_OPTION_NAMES, unknownOptionProblems, type KratosOptions } from './kratos/config';
import { flowRoutesFor, type FlowRouteOptions, type FlowRoutesMiddleware } from './flows';
import { authGate, forwardAuth, kratosProxy, type AuthGate, type AuthGateOptions, type ForwardAuth, type ForwardAuthOptions, type KratosProxy, type KratosProxyOptions } from './proxy';
import { getSession } from './session/attach';
import { logoutUrlFor, type LogoutUrlOptions } from './session/logout';
import { optionalSessionFor, requireSessionFor, type SessionMiddleware } from './session/middleware';
import { checkRouteOptions, OPTIONAL_OPTION_NAMES, REQUIRE_OPTION_NAMES, type OptionalSessionOptions, type RequireSessionOptions } from './session/options';

/** The whole kit bound to one configuration: one keep-alive pool, one coalescing map, one cache. */
export interface KratosKit {
  readonly context: KratosContext;
  requireSession(options?: RequireSessionOptions): SessionMiddleware;
  optionalSession(options?: OptionalSessionOptions): SessionMiddleware;
  getLogoutUrl(req: IncomingMessage, options?: LogoutUrlOptions): Promise<string | undefined>;
  getSession(req: IncomingMessage): Session | undefined;
  flowRoutes(options?: FlowRouteOptions): FlowRoutesMiddleware;
  kratosProxy(options?: Omit<KratosProxyOptions, keyof KratosOptions>): KratosProxy;
  authGate(options: Omit<AuthGateOptions, keyof KratosOptions>): AuthGate;
  forwardAuth(options?: Omit<ForwardAuthOptions, keyof KratosOptions>): ForwardAuth;
  /** Closes the keep-alive pool. */
  close(): Promise<void>;
}

function routeOptions(kind: 'requireSession' | 'optionalSession', options: object, names: readonly string[]) {
  if (options === null || typeof options !== 'object') {
    throw new KratosConfigError([`options: ${String(options)} is not an object. Call ${kind}() or ${kind}({ ... }).`]);
  }
  const problems = unknownOptionProblems(options, names).map((p) =>
    KRATOS_OPTION_NAMES.some((k) => p.startsWith(`${k}:`)) ? `${p.split(':')[0]}: Kratos options belong in createKratos({ ... }), not in ${kind}().` : p,
  );
  const resolved = checkRouteOptions(options, kind);
  const all = [...problems, ...resolved.problems];
  if (all.length > 0) throw new KratosConfigError(all);
  return resolved.route;
}

/**
 * Creates the kit for one configuration. Options fall back to `KRATOS_PUBLIC_URL` / `KRATOS_BROWSER_URL`;
 * invalid options throw one `KratosConfigError` listing every problem.
 *
 * @example
 * const kratos = createKratos({ publicUrl: 'http://127.0.0.1:4433', browserUrl: '/.ory', cache: { ttl: '30s', max: 10_000 } });
 * app.use(kratos.kratosProxy({ prefix: '/.ory' }));
 * app.use(kratos.flowRoutes());
 * app.use(kratos.optionalSession());
 * app.get('/orders', kratos.requireSession({ check: hasVerifiedEmail() }), handler);
 * process.on('SIGTERM', () => kratos.close());
 */
export function createKratos(options: KratosOptions = {}, env: NodeJS.ProcessEnv = process.env): KratosKit {
  const context = createContext(options, env);
  return {
    context,
    requireSession: (route = {}) => requireSessionFor(context, routeOptions('requireSession', route, REQUIRE_OPTION_NAMES)),
    optionalSession: (route = {}) => optionalSessionFor(context, routeOptions('optionalSession', route, OPTIONAL_OPTION_NAMES)),
    getLogoutUrl: (req, logoutOptions) => logoutUrlFor(context, req, logoutOptions),
    getSession,
    flowRoutes: (flowOptions = {}) => flowRoutesFor(context, flowOptions),
    kratosProxy: (proxyOptions = {}) => kratosProxy(proxyOptions, context),
    authGate: (gateOptions) => authGate(gateOptions, context),
    forwardAuth: (authOptions = {}) => forwardAuth(authOptions, context),
    close: () => context.close(),
  };
}
