import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KratosContext } from '../context';
import { describeValue, type KratosOptions } from '../kratos/config';
import { isBrowserNavigation } from '../kratos/request';
import { decide } from './access';
import { compileIdentityHeaders, type IdentityHeaderTemplate } from './identity-headers';
import { compileJwt, type GateJwtOptions } from './jwt';
import { failWith, optionsObject, resolveContext } from './options';
import { parseTarget } from './paths';
import { requestView } from './request-view';
import { serveJwks, sendJsonError } from './respond';
import { compileRules, type GateRule } from './rules';
import { compileTrustedProxies, LOOPBACK } from './trust';

export interface ForwardAuthOptions extends KratosOptions {
  /** Access rules matched against the original request (same as the gate's). */
  rules?: GateRule[];
  /** Identity headers of an allowed answer (header => session field), or false. Same default as the gate. */
  headers?: IdentityHeaderTemplate | false;
  /** Also answer a signed JWT header (its JWKS is served at `jwt.jwksPath` under this endpoint's mount). */
  jwt?: GateJwtOptions | boolean;
  /** Gateways (IPs/CIDRs) whose `X-Original-*` / `X-Forwarded-*` headers describe the original request. Default loopback. */
  trustedProxies?: string[];
  /** Answer browsers without a session with 302 to login instead of 401 (Traefik, Caddy and Envoy pass it on; nginx cannot). Default false. */
  redirectBrowsers?: boolean;
}

export const FORWARD_AUTH_OPTION_NAMES = ['rules', 'headers', 'jwt', 'trustedProxies', 'redirectBrowsers'];

export type ForwardAuth = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

/** How the gateway described the original request. */
export type ForwardAuthDialect = 'nginx' | 'forwarded' | 'direct';

export interface OriginalRequest {
  dialect: ForwardAuthDialect;
  method: string;
  protocol: string;
  host: string | undefined;
  /** Path and query of the original request. */
  uri: string;
}

const single = (value: string | string[] | undefined): string | undefined => {
  const text = Array.isArray(value) ? value[0] : value;
  const head = text?.split(',')[0]?.trim();
  return head || undefined;
};
/** A header carrying a URI, read whole: a comma belongs to the path or the query, it never separates values. */
const whole = (value: string | string[] | undefined): string | undefined => {
  const text = (Array.isArray(value) ? value.join(', ') : value)?.trim();
  return text || undefined;
};
const METHOD = /^[A-Za-z]{1,16}$/;

/**
 * Reads the original request from a trusted gateway: nginx `auth_request` (`X-Original-URI`,
 * `X-Original-Method`), Traefik ForwardAuth and Caddy `forward_auth` (`X-Forwarded-Method/Proto/Host/Uri`).
 * Otherwise (Envoy ext_authz, or an untrusted peer) the request itself is the original one.
 */
export function originalRequest(req: IncomingMessage, trusted: boolean, mountUrl: string): OriginalRequest {
  const encrypted = Boolean((req.socket as { encrypted?: boolean } | undefined)?.encrypted);
  const ownProto = encrypted ? 'https' : 'http';
  const h = req.headers;
  const proto = (p: string | undefined) => (p === 'http' || p === 'https' ? p : ownProto);
  const method = (m: string | undefined, fallback: string) => (m && METHOD.test(m) ? m.toUpperCase() : fallback);
  if (trusted && whole(h['x-original-uri']) !== undefined) {
    const uri = whole(h['x-original-uri'])!;
    return { dialect: 'nginx', method: method(single(h['x-original-method']), 'GET'), protocol: proto(single(h['x-forwarded-proto'])), host: single(h['x-forwarded-host']) ?? h.host, uri };
  }
  if (trusted && (whole(h['x-forwarded-uri']) !== undefined || single(h['x-forwarded-method']) !== undefined)) {
    return {
      dialect: 'forwarded',
      method: method(single(h['x-forwarded-method']), 'GET'),
      protocol: proto(single(h['x-forwarded-proto'])),
      host: single(h['x-forwarded-host']) ?? h.host,
      uri: whole(h['x-forwarded-uri']) ?? '/',
    };
  }
  return { dialect: 'direct', method: (req.method ?? 'GET').toUpperCase(), protocol: trusted ? proto(single(h['x-forwarded-proto'])) : ownProto, host: h.host, uri: mountUrl };
}

/**
 * An endpoint for gateways that ask before forwarding: nginx `auth_request`, Traefik ForwardAuth, Caddy
 * `forward_auth` and Envoy ext_authz (HTTP). Allowed requests get exactly 200 with the identity headers (every
 * template header is present, empty when unknown, so gateways that copy them overwrite anything the client
 * sent) and the optional JWT header; denied ones 401 (no session), 403 (rule or second factor), or with
 * `redirectBrowsers` a 302 to login for browsers. The original method and URL come from `X-Original-*` /
 * `X-Forwarded-*`, honoured only from `trustedProxies` (default loopback); for Envoy the request's own method and
 * path (relative to where the endpoint is mounted) are the original ones.
 *
 * @example
 * app.use('/auth', forwardAuth({ rules: [{ path: '/public', access: 'public' }, { path: '/' }] }));
 */
export function forwardAuth(options: ForwardAuthOptions = {}, context?: KratosContext): ForwardAuth {
  const o = optionsObject(options, 'forwardAuth', '{ trustedProxies: [\'10.0.0.0/8\'] }');
  const problems: string[] = [];
  const rules = compileRules(o.rules, problems);
  const template = compileIdentityHeaders(o.headers, 'headers', problems);
  const jwt = compileJwt(o.jwt, problems);
  const trusted = compileTrustedProxies(o.trustedProxies ?? [...LOOPBACK], 'trustedProxies', problems);
  if (o.redirectBrowsers !== undefined && typeof o.redirectBrowsers !== 'boolean') problems.push(`redirectBrowsers: ${describeValue(o.redirectBrowsers)} is not true or false.`);
  if (jwt?.tokenizeAs) problems.push('jwt.tokenizeAs: is only supported by authGate. Use a signed jwt here, or the gate.');
  const { config, sessions } = resolveContext(o, FORWARD_AUTH_OPTION_NAMES, problems, context);
  const redirectBrowsers = o.redirectBrowsers === true;

  return function forwardAuthMiddleware(req, res, next) {
    req.resume();
    if (jwt?.jwksPath && req.method === 'GET' && (req.url === jwt.jwksPath || req.url?.startsWith(`${jwt.jwksPath}?`))) {
      return serveJwks(jwt, req, res);
    }
    let original: OriginalRequest;
    try {
      original = originalRequest(req, trusted(req.socket?.remoteAddress), req.url ?? '/');
    } catch (err) {
      return failWith(res, next, err);
    }
    Promise.resolve()
      .then(async () => {
        const target = parseTarget(original.uri);
        const view = requestView(req, { protocol: original.protocol, host: original.host, path: target.rawPath + target.search });
        const decision = await decide({ config, sessions }, rules, { req, view, method: original.method, path: target.path });
        const headers: Record<string, string> = { 'cache-control': 'private, no-cache, no-store, must-revalidate' };
        if (!decision.allow) {
          if (redirectBrowsers && decision.loginUrl && original.dialect !== 'nginx' && isBrowserNavigation(view)) {
            res.writeHead(302, { ...headers, location: decision.loginUrl });
            return void res.end();
          }
          return sendJsonError(res, decision.error);
        }
        for (const name of template.names) headers[name.toLowerCase()] = '';
        if (decision.session) {
          for (const [name, value] of template.values(decision.session)) headers[name.toLowerCase()] = value;
          if (jwt) headers[jwt.header.toLowerCase()] = jwt.headerValue((await jwt.token(decision.session))!);
        }
        res.writeHead(200, headers);
        res.end();
      })
      .catch((err: unknown) => failWith(res, next, err));
  };
}

