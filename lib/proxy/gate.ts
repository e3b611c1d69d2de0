import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Session } from '@ory/kratos-client-fetch';
import type { KratosContext } from '../context';
import { describeValue, type KratosOptions } from '../kratos/config';
import { KratosExpressError } from '../kratos/errors';
import { parseDuration } from '../kratos/duration';
import { currentOrigin, getCredentials, isBrowserNavigation } from '../kratos/request';
import { SessionCore } from '../session/core';
import { decide, type Decision } from './access';
import { bodyConsumed, createEngine, dropHopByHop } from './engine';
import { ProxyError } from './errors';
import { compileIdentityHeaders, spoofedHeaderPredicate, stripHeaders, type IdentityHeaderTemplate } from './identity-headers';
import { compileJwt, type GateJwt, type GateJwtOptions } from './jwt';
import { failWith, optionsObject, resolveContext } from './options';
import { parseTarget } from './paths';
import { browserRequest, forwardedFor, fromTrustedProxy, spoofedForwarding } from './request-view';
import { refuseUpgrade, sendJsonError, sendRedirect, serveJwks } from './respond';
import { kratosCookies } from './rewrite';
import { compileRules, type GateRule } from './rules';
import { secondsLeft, tokenizingClient } from './tokenize';
import { compileTrustedProxies, type TrustPredicate } from './trust';

export interface AuthGateOptions extends KratosOptions {
  /** The service behind the gate, e.g. `http://127.0.0.1:3000` (a base path is kept). */
  upstream: string;
  /** Access rules, first match wins. Without rules every path needs a session; with rules, unmatched paths are denied. */
  rules?: GateRule[];
  /** Trusted identity headers added upstream (header => session field), or false. Default: X-User-Id, X-User-Email, X-Session-Id, X-User-Aal. */
  headers?: IdentityHeaderTemplate | false;
  /** Also send a signed JWT (or Kratos' own `tokenize_as` JWT). */
  jwt?: GateJwtOptions | boolean;
  /** Remove Kratos' credentials (session cookie, CSRF and other Kratos cookies, X-Session-Token, a Bearer session token) from the upstream request. Default true: the credential only ever goes to Kratos; `false` passes it on, for an upstream that calls Kratos itself. */
  stripSessionCookie?: boolean;
  /** More client headers to remove (exact names, or prefixes ending in `*`), compared case- and `_`/`-`-insensitively. */
  stripHeaders?: string[];
  /** Peers (IPs/CIDRs) whose `X-Forwarded-Proto/Host/For` are believed on plain `http` servers (Express uses its `trust proxy`); only their other `X-Forwarded-*` and `X-Real-IP` pass on. */
  trustedProxies?: string[];
  /** Longest silence of the upstream, in ms or as `'60s'` (default): 504 before the response starts, then the stream is cut. */
  upstreamTimeout?: number | string;
  /** Keep the client's `Host` header instead of the upstream's. Default false. */
  preserveHost?: boolean;
}

export const AUTH_GATE_OPTION_NAMES = ['upstream', 'rules', 'headers', 'jwt', 'stripSessionCookie', 'stripHeaders', 'trustedProxies', 'upstreamTimeout', 'preserveHost'];

/** The gate: a middleware that ends every request it receives (denied, or proxied upstream). */
export interface AuthGate {
  (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void;
  /** Handles a websocket upgrade: checks the session of the upgrade request itself, then proxies or refuses (401/403); other upgrades (h2c, ...) get 400. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Routes every `upgrade` of the server through {@link AuthGate.upgrade}. */
  attach(server: Server): void;
  /** The session a request was let through with (undefined for public routes and denied requests). */
  sessionOf(req: IncomingMessage): Session | undefined;
  /** The public keys of the gate's JWTs (`{ keys: [] }` without `jwt`). */
  readonly jwks: { keys: object[] };
}

function parseUpstream(value: unknown, problems: string[]): string | undefined {
  const fix = 'Set it to the service behind the gate, for example http://127.0.0.1:3000.';
  if (value === undefined || value === '') {
    problems.push(`upstream: is not set. ${fix}`);
    return undefined;
  }
  try {
    const url = typeof value === 'string' && /^https?:\/\//i.test(value) ? new URL(value) : undefined;
    if (url && !url.username && !url.password && !url.search && !url.hash) return url.href.replace(/\/+$/, '');
  } catch {
    // reported below
  }
  problems.push(`upstream: ${describeValue(value)} is not an http(s) URL without credentials, query or fragment. ${fix}`);
  return undefined;
}

function extraStripper(value: unknown, problems: string[]): (name: string) => boolean {
  if (value === undefined) return () => false;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && /^[!#$%&'+\-.^_`|~0-9A-Za-z]+\*?$/.test(v))) {
    problems.push(`stripHeaders: ${describeValue(value)} is not a list of header names. Use for example ['X-Tenant', 'X-Internal-*'].`);
    return () => false;
  }
  const norm = (n: string) => n.toLowerCase().replace(/_/g, '-');
  const exact = new Set(value.filter((v) => !v.endsWith('*')).map(norm));
  const prefixes = value.filter((v) => v.endsWith('*')).map((v) => norm(v.slice(0, -1)));
  return (name) => exact.has(norm(name)) || prefixes.some((p) => norm(name).startsWith(p));
}

/**
 * An identity-aware reverse proxy in front of a service that knows nothing about Kratos (Grafana, a Python
 * API, ...). Each request is matched against `rules`, its session checked through the kit's session core
 * (keep-alive pool, coalescing, optional cache); browsers without a session are redirected to login with a safe
 * `return_to`, API callers get 401 JSON, sessions lacking a second factor or a recent sign-in are sent to
 * login with `aal=aal2` / `refresh=true`, and a failed rule `check` answers 403. Before forwarding, every
 * identity header the client sent itself is removed and trusted ones are added (optionally a signed JWT). Bodies,
 * SSE and websockets stream through. Kratos down => 502/503/504, never forwarded unauthenticated; upstream down =>
 * 502, silent => 504.
 *
 * @example
 * const gate = authGate({ publicUrl: 'http://127.0.0.1:4433', upstream: 'http://127.0.0.1:3000',
 *   rules: [{ path: '/public/**', access: 'public' }, { path: '/admin', aal: 'aal2' }, { path: '/' }] });
 * const server = http.createServer(gate);
 * gate.attach(server); // websockets
 */
export function authGate(options: AuthGateOptions, context?: KratosContext): AuthGate {
  const o = optionsObject(options, 'authGate', "{ upstream: 'http://127.0.0.1:3000' }");
  const problems: string[] = [];
  const upstream = parseUpstream(o.upstream, problems);
  const rules = compileRules(o.rules, problems);
  const template = compileIdentityHeaders(o.headers, 'headers', problems);
  const jwt: GateJwt | undefined = compileJwt(o.jwt, problems);
  const extraSpoofed = extraStripper(o.stripHeaders, problems);
  for (const name of ['stripSessionCookie', 'preserveHost'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'boolean') problems.push(`${name}: ${describeValue(o[name])} is not true or false.`);
  }
  const trusted: TrustPredicate | undefined = o.trustedProxies === undefined ? undefined : compileTrustedProxies(o.trustedProxies, 'trustedProxies', problems);
  const timeout = o.upstreamTimeout === undefined ? 60_000 : parseDuration(o.upstreamTimeout);
  if (timeout === undefined) problems.push(`upstreamTimeout: ${describeValue(o.upstreamTimeout)} is not a valid duration. Use milliseconds or a string such as '60s'.`);
  const shared = resolveContext(o, AUTH_GATE_OPTION_NAMES, problems, context);
  const { config } = shared;
  const access: Pick<KratosContext, 'config' | 'sessions'> = jwt?.tokenizeAs
    ? { config, sessions: new SessionCore(config, tokenizingClient(shared.client, jwt.tokenizeAs)) }
    : shared;
  const spoofed = spoofedHeaderPredicate([...template.names, ...(jwt ? [jwt.header] : [])]);
  const isSpoofed = (name: string) => spoofed(name) || extraSpoofed(name);
  const stripCredentials = o.stripSessionCookie !== false;
  const sessions = new WeakMap<IncomingMessage, Session>();
  const engine = createEngine({ target: upstream!, timeout: timeout!, changeOrigin: o.preserveHost !== true, what: 'The upstream service' });

  /** Kratos' tokenized JWT of a cached session may have expired: ask Kratos again once. */
  async function fresh(req: IncomingMessage, decision: Decision): Promise<Decision> {
    if (!jwt?.tokenizeAs || !decision.allow || !decision.session || secondsLeft(decision.session.tokenized) > 5) return decision;
    const credentials = getCredentials(req, config.sessionCookieName);
    access.sessions.invalidate(credentials.key);
    const result = await access.sessions.checkCredentials(credentials);
    return result.state === 'active' ? { allow: true, session: result.session } : decision;
  }

  async function check(req: IncomingMessage): Promise<Decision> {
    const target = parseTarget(req.url);
    const view = browserRequest(req, trusted);
    const decision = await decide(access, rules, { req, view, method: req.method ?? 'GET', path: target.path });
    return fresh(req, decision);
  }

  async function prepare(req: IncomingMessage, session: Session | undefined): Promise<void> {
    const headers = req.headers;
    const origin = currentOrigin(browserRequest(req, trusted));
    const trustedPeer = fromTrustedProxy(req, trusted);
    const chain = forwardedFor(req, trustedPeer);
    stripHeaders(headers, (name) => isSpoofed(name) || spoofedForwarding(name, trustedPeer));
    headers['x-forwarded-host'] = origin.host;
    headers['x-forwarded-proto'] = origin.protocol.slice(0, -1);
    headers['x-forwarded-for'] = chain;
    if (stripCredentials) {
      const kratos = kratosCookies(headers.cookie, config.sessionCookieName);
      if (kratos) {
        const names = new Set(kratos.split('; ').map((pair) => pair.slice(0, pair.indexOf('='))));
        const rest = String(headers.cookie).split(';').map((p) => p.trim()).filter((p) => p && !names.has(p.slice(0, Math.max(p.indexOf('='), 0))));
        if (rest.length > 0) headers.cookie = rest.join('; ');
        else delete headers.cookie;
      }
      delete headers['x-session-token'];
      if (/^bearer\s/i.test(String(headers.authorization ?? ''))) delete headers.authorization;
    }
    if (!session) return;
    sessions.set(req, session);
    for (const [name, value] of template.values(session)) headers[name.toLowerCase()] = value;
    if (jwt) {
      const token = await jwt.token(session);
      if (!token) throw new ProxyError('GATE_JWT_FAILED', `Kratos returned no tokenized session for template ${JSON.stringify(jwt.tokenizeAs)}; check session.whoami.tokenizer.templates in kratos.yml.`);
      headers[jwt.header.toLowerCase()] = jwt.headerValue(token);
    }
  }

  function deny(req: IncomingMessage, res: ServerResponse, decision: Extract<Decision, { allow: false }>): void {
    if (decision.loginUrl && isBrowserNavigation(req)) return sendRedirect(res, decision.loginUrl);
    sendJsonError(res, decision.error);
  }

  const gate = function authGateMiddleware(req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void {
    if (jwt?.jwksPath && (req.method === 'GET' || req.method === 'HEAD') && (req.url === jwt.jwksPath || req.url?.startsWith(`${jwt.jwksPath}?`))) {
      return serveJwks(jwt, req, res);
    }
    if (bodyConsumed(req)) {
      return failWith(res, next, new ProxyError('PROXY_BODY_CONSUMED', 'authGate: the request body was already read by a body parser (express.json(), express.urlencoded(), ...) mounted before the gate, so it cannot be forwarded. Mount authGate() before the body parsers, or re-stream the parsed body before it.'));
    }
    check(req)
      .then(async (decision) => {
        if (!decision.allow) return deny(req, res, decision);
        dropHopByHop(req);
        await prepare(req, decision.session);
        engine.web(req, res, (err) => failWith(res, next, err));
      })
      .catch((err: unknown) => failWith(res, next, err));
  } as AuthGate;

  gate.upgrade = function authGateUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    // Only websockets are proxied (the engine would drop any other upgrade without a word, h2c included).
    if (req.method !== 'GET' || String(req.headers.upgrade).toLowerCase() !== 'websocket') {
      return refuseUpgrade(socket, new KratosExpressError('BAD_REQUEST', 'The gate proxies websocket upgrades only (GET with Upgrade: websocket). Send the request without Upgrade.'));
    }
    check(req)
      .then(async (decision) => {
        if (!decision.allow) return refuseUpgrade(socket, decision.error);
        await prepare(req, decision.session);
        engine.ws(req, socket, head);
      })
      .catch((err: unknown) => refuseUpgrade(socket, err));
  };
  gate.attach = (server: Server) => void server.on('upgrade', gate.upgrade);
  gate.sessionOf = (req: IncomingMessage) => sessions.get(req);
  Object.defineProperty(gate, 'jwks', { value: jwt?.jwks ?? { keys: [] }, enumerable: true });
  return gate;
}
