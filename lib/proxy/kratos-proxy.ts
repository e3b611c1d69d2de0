import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KratosContext } from '../context';
import { describeValue, type KratosOptions } from '../kratos/config';
import { parseDuration } from '../kratos/duration';
import { currentUrl } from '../kratos/request';
import { bodyConsumed, createEngine, dropHopByHop } from './engine';
import { ProxyError } from './errors';
import { failWith, optionsObject, originalUrl, resolveContext } from './options';
import { parseTarget } from './paths';
import { browserRequest, forwardedFor, fromTrustedProxy } from './request-view';
import { kratosCookies, rewriteLocation, rewriteSetCookie } from './rewrite';
import { compileTrustedProxies, type TrustPredicate } from './trust';

export interface KratosProxyOptions extends KratosOptions {
  /** Path of the app Kratos is served under. Default: `browserUrl` when it is a path, else `/.ory`. */
  prefix?: string;
  /** `Domain` given to Kratos' cookies (e.g. `example.com` to share them with sub-domains). Default: none (host-only). */
  cookieDomain?: string;
  /** Also proxy `/health/alive` and `/health/ready`. Default false. */
  health?: boolean;
  /** Forward every cookie of the app to Kratos instead of only Kratos' own (session, `csrf_token*`, `ory_kratos_*`). Default false. */
  forwardAllCookies?: boolean;
  /** Peers (IPs/CIDRs) whose `X-Forwarded-Proto/Host/For` are believed on plain `http`/Connect servers (Express uses its `trust proxy`). */
  trustedProxies?: string[];
  /** Time Kratos may stay silent before the proxy answers 504, in ms or as `'30s'`. Default 30 s. */
  proxyTimeout?: number | string;
}

export const KRATOS_PROXY_OPTION_NAMES = ['prefix', 'cookieDomain', 'health', 'forwardAllCookies', 'trustedProxies', 'proxyTimeout'];

/** A same-origin proxy of Kratos' public API; a middleware for Express, Connect and plain `http`. */
export type KratosProxy = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

const BROWSER_PATHS = [/^\/self-service(?:\/|$)/, /^\/sessions(?:\/|$)/, /^\/\.well-known\/ory\//, /^\/schemas(?:\/|$)/];
const HEALTH_PATHS = /^\/health\/(?:alive|ready)$/;
const DOMAIN = /^\.?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * Serves Kratos' public API under a path of the app (default `/.ory`) so that Kratos' cookies are first-party:
 * `Set-Cookie` loses its `Domain` (or gets `cookieDomain`) and follows the browser's protocol for `Secure`;
 * `Location` headers pointing at Kratos are mapped to the prefixed app URL; bodies stream through untouched;
 * redirects are not followed; `X-Forwarded-Host/Proto/For` tell Kratos the browser's URL. Only the paths
 * browsers need are proxied (`/self-service/*`, `/sessions*`, `/.well-known/ory/*`, `/schemas*`, optionally
 * `/health/*`); anything else, admin paths included, is a 404 of the proxy itself.
 *
 * Mount it before any body parser, and set Kratos' `serve.public.base_url` to the proxied URL
 * (`https://app.example.com/.ory/`) so the URLs in Kratos' JSON point at it too.
 *
 * @example
 * app.use(kratosProxy({ publicUrl: 'http://127.0.0.1:4433', browserUrl: '/.ory' }));
 * app.use(express.urlencoded({ extended: false }));
 */
export function kratosProxy(options: KratosProxyOptions = {}, context?: KratosContext): KratosProxy {
  const o = optionsObject(options, 'kratosProxy', "{ prefix: '/.ory' }");
  const problems: string[] = [];
  if (o.prefix !== undefined && (typeof o.prefix !== 'string' || !/^\/[A-Za-z0-9\-._~/]*$/.test(o.prefix) || /(^|\/)\.\.?(\/|$)/.test(o.prefix) || o.prefix.replace(/\/+$/, '') === '')) {
    problems.push(`prefix: ${describeValue(o.prefix)} is not a path. Use the path the app serves Kratos under, for example '/.ory'.`);
  }
  if (o.cookieDomain !== undefined && (typeof o.cookieDomain !== 'string' || !DOMAIN.test(o.cookieDomain))) {
    problems.push(`cookieDomain: ${describeValue(o.cookieDomain)} is not a domain. Use for example 'example.com', or leave it out for host-only cookies.`);
  }
  for (const name of ['health', 'forwardAllCookies'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'boolean') problems.push(`${name}: ${describeValue(o[name])} is not true or false.`);
  }
  const trusted: TrustPredicate | undefined = o.trustedProxies === undefined ? undefined : compileTrustedProxies(o.trustedProxies, 'trustedProxies', problems);
  let timeout = 30_000;
  if (o.proxyTimeout !== undefined) {
    const parsed = parseDuration(o.proxyTimeout);
    if (parsed === undefined) problems.push(`proxyTimeout: ${describeValue(o.proxyTimeout)} is not a valid duration. Use milliseconds or a string such as '30s'.`);
    else timeout = parsed;
  }
  const ctx = resolveContext(o, KRATOS_PROXY_OPTION_NAMES, problems, context);
  const { config } = ctx;
  const prefix = (o.prefix ?? (config.browserUrlIsRelative ? config.browserUrl : '/.ory')).replace(/\/+$/, '');
  const allowHealth = o.health === true;
  const forwardAll = o.forwardAllCookies === true;
  const browserBases = new WeakMap<IncomingMessage, { base: string; secure: boolean }>();

  const engine = createEngine({
    target: config.publicUrl,
    timeout,
    changeOrigin: true,
    what: 'Kratos',
    onResponse(proxyRes, req) {
      const browser = browserBases.get(req);
      if (!browser) return;
      const setCookie = proxyRes.headers['set-cookie'];
      if (setCookie) proxyRes.headers['set-cookie'] = setCookie.map((header) => rewriteSetCookie(header, { domain: o.cookieDomain, secure: browser.secure }));
      const location = proxyRes.headers.location;
      if (location) proxyRes.headers.location = rewriteLocation(location, config.publicUrl, browser.base);
    },
  });

  return function kratosProxyMiddleware(req, res, next) {
    const original = originalUrl(req);
    if (original !== prefix && !original.startsWith(`${prefix}/`) && !original.startsWith(`${prefix}?`)) return void next?.();
    try {
      const rest = original.slice(prefix.length);
      const target = parseTarget(rest.startsWith('/') ? rest : `/${rest}`);
      const { path } = target;
      if (!BROWSER_PATHS.some((allowed) => allowed.test(path)) && !(allowHealth && HEALTH_PATHS.test(path))) {
        throw new ProxyError('PROXY_NOT_FOUND', `${prefix}${path} is not a Kratos endpoint for browsers; only /self-service, /sessions, /.well-known/ory and /schemas are proxied.`);
      }
      if (bodyConsumed(req)) {
        throw new ProxyError(
          'PROXY_BODY_CONSUMED',
          'kratosProxy: the request body was already read by a body parser (express.json(), express.urlencoded(), ...) mounted before the proxy, so it cannot be forwarded to Kratos. Mount kratosProxy() before the body parsers, or re-stream the parsed body before it.',
        );
      }
      const view = browserRequest(req, trusted);
      const url = currentUrl(view);
      browserBases.set(req, { base: url.origin + prefix, secure: url.protocol === 'https:' });
      dropHopByHop(req);
      const headers = req.headers;
      delete headers.forwarded;
      headers['x-forwarded-host'] = url.host;
      headers['x-forwarded-proto'] = url.protocol.slice(0, -1);
      headers['x-forwarded-for'] = forwardedFor(req, fromTrustedProxy(req, trusted));
      if (!forwardAll) {
        const cookie = kratosCookies(headers.cookie, config.sessionCookieName);
        if (cookie) headers.cookie = cookie;
        else delete headers.cookie;
      }
      req.url = target.rawPath + target.search;
      engine.web(req, res, (err) => failWith(res, next, err));
    } catch (err) {
      failWith(res, next, err);
    }
  };
}
