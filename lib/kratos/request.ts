import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import Negotiator from 'negotiator';
import type { ResolvedKratosConfig } from './config';
import { KratosExpressError } from './errors';
import { matchesReturnUrlRule } from './return-url-rules';

export { getCredentials, type RequestCredentials } from './credentials';

/** What Express adds to a request; read only when present, so plain `http` and Connect work too. */
interface ExpressLikeRequest extends IncomingMessage {
  app?: { get?(setting: string): unknown };
  protocol?: string;
  originalUrl?: string;
}

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})?)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const MAX_RETURN_TO = 2048;
const UNSAFE_CHARS = /[\0-\x20\x7f\\]|%(?:0[0-9a-f]|1[0-9a-f]|5c|7f)/i;
const RAW_CONTROL = /[\0-\x20\x7f\\]/;
/** A path whose first segment is empty once decoded: `//x`, `/\\x`, `/%2Fx`, `/%5Cx`. */
const LEADING_SLASHES = /^\/(?:[/\\]|%2f|%5c)/i;

function firstValue(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const comma = text.indexOf(',');
  return (comma === -1 ? text : text.slice(0, comma)).trim();
}

/** Protocol and `Host` of a request as the browser used them, validated; see {@link currentUrl}. */
function hostAndProtocol(req: IncomingMessage): { protocol: string; host: string } {
  const expressReq = req as ExpressLikeRequest;
  const trust = expressReq.app?.get?.('trust proxy fn');
  const trusted = typeof trust === 'function' && Boolean(trust(req.socket?.remoteAddress, 0));
  let protocol = typeof expressReq.protocol === 'string' ? expressReq.protocol : (req.socket as TLSSocket | undefined)?.encrypted ? 'https' : 'http';
  if (protocol !== 'http' && protocol !== 'https') protocol = (req.socket as TLSSocket | undefined)?.encrypted ? 'https' : 'http';
  const host = (trusted && firstValue(req.headers['x-forwarded-host'])) || req.headers.host;
  if (!host || !HOST.test(host)) {
    throw new KratosExpressError('BAD_REQUEST', `The request's Host header ${JSON.stringify(host ?? '')} is missing or malformed.`);
  }
  return { protocol, host };
}

/**
 * The absolute URL of the request. Behind a proxy it honours Express' `trust proxy` setting exactly like
 * Express does (`X-Forwarded-Proto`/`X-Forwarded-Host` count only from trusted addresses), with the port
 * kept on Express 4 and 5 alike; on plain `http`/Connect it uses `Host` and the socket's encryption.
 * Throws `BAD_REQUEST` for a missing or malformed `Host`.
 *
 * @example
 * currentUrl(req).href; // 'https://app.example.com/dashboard?tab=2'
 */
export function currentUrl(req: IncomingMessage): URL {
  const { protocol, host } = hostAndProtocol(req);
  const expressReq = req as ExpressLikeRequest;
  let path = expressReq.originalUrl ?? req.url ?? '/';
  if (!path.startsWith('/')) {
    try {
      const absolute = new URL(path);
      path = absolute.pathname + absolute.search;
    } catch {
      throw new KratosExpressError('BAD_REQUEST', 'The request target is malformed.');
    }
  }
  try {
    return new URL(`${protocol}://${host}${path}`);
  } catch {
    throw new KratosExpressError('BAD_REQUEST', 'The request URL is malformed.');
  }
}

/** The host and protocol parts of {@link currentUrl}, e.g. `{ protocol: 'https:', host: 'app.example.com' }`. */
export interface RequestOrigin {
  readonly protocol: string;
  readonly host: string;
}

let lastOrigin = { protocol: '', rawHost: '', origin: { protocol: '', host: '' } as RequestOrigin };

/**
 * `protocol` and `host` of {@link currentUrl}, the same values and the same errors, without building the URL
 * when the request target is a plain path (the normalised host of the last `Host` seen is remembered).
 *
 * @example
 * const { protocol, host } = currentOrigin(req); // { protocol: 'https:', host: 'app.example.com' }
 */
export function currentOrigin(req: IncomingMessage): RequestOrigin {
  const path = (req as ExpressLikeRequest).originalUrl ?? req.url ?? '/';
  if (!path.startsWith('/')) return currentUrl(req);
  const { protocol, host } = hostAndProtocol(req);
  if (lastOrigin.protocol === protocol && lastOrigin.rawHost === host) return lastOrigin.origin;
  let url: URL;
  try {
    url = new URL(`${protocol}://${host}/`);
  } catch {
    throw new KratosExpressError('BAD_REQUEST', 'The request URL is malformed.');
  }
  const origin = { protocol: url.protocol, host: url.host };
  lastOrigin = { protocol, rawHost: host, origin };
  return origin;
}

/**
 * True when the request is a browser navigation that should be redirected, false for API and AJAX calls
 * that should get JSON: `Accept` prefers `text/html` over `application/json` (or is absent), the request
 * body is not JSON, and it is neither `X-Requested-With: XMLHttpRequest` nor a `fetch()` (`Sec-Fetch-Mode`
 * `cors`/`same-origin`).
 */
export function isBrowserNavigation(req: IncomingMessage): boolean {
  if (String(req.headers['x-requested-with'] ?? '').toLowerCase() === 'xmlhttprequest') return false;
  const mode = String(req.headers['sec-fetch-mode'] ?? '').toLowerCase();
  if (mode === 'cors' || mode === 'same-origin') return false;
  if (/^application\/json\s*(;|$)/i.test(String(req.headers['content-type'] ?? ''))) return false;
  return new Negotiator(req).mediaType(['text/html', 'application/json']) === 'text/html';
}

function requestOrigin(req: IncomingMessage): string | undefined {
  try {
    return currentUrl(req).origin;
  } catch {
    return undefined;
  }
}

/**
 * Whether an absolute URL may be a `return_to`: with `allowedReturnUrls` configured it must match one of
 * them (list your app's own origin too); without, it must be on the request's own origin.
 */
export function isAllowedReturnUrl(url: URL, req: IncomingMessage, config: ResolvedKratosConfig): boolean {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (url.username || url.password) return false;
  if (config.allowedReturnUrls.length > 0) return config.allowedReturnUrls.some((rule) => matchesReturnUrlRule(url, rule));
  return url.origin === requestOrigin(req);
}

/**
 * Validates a user-supplied `return_to`. Returns the absolute URL as a string when it is a same-origin
 * path (`/dashboard`) or an absolute http(s) URL allowed by {@link isAllowedReturnUrl}; `undefined` for
 * everything else: protocol-relative and backslash tricks (`//evil.com`, `/\evil.com`, `https:evil.com`),
 * encoded variants, other schemes (`javascript:`, `data:`), control characters, user-info, over-long values.
 *
 * @example
 * safeReturnTo('/settings?tab=2', req, config); // 'https://app.example.com/settings?tab=2'
 * safeReturnTo('//evil.com', req, config);      // undefined
 */
export function safeReturnTo(value: unknown, req: IncomingMessage, config: ResolvedKratosConfig): string | undefined {
  if (typeof value !== 'string' || value === '' || value.length > MAX_RETURN_TO || UNSAFE_CHARS.test(value)) return undefined;
  let url: URL;
  if (value.startsWith('/')) {
    if (LEADING_SLASHES.test(value)) return undefined;
    const origin = requestOrigin(req);
    if (!origin) return undefined;
    url = new URL(origin + value);
  } else {
    if (!/^https?:\/\/[^/\\@]/i.test(value)) return undefined;
    try {
      url = new URL(value);
    } catch {
      return undefined;
    }
  }
  // A same-origin path starting with `//` (or its encoded forms) becomes an open redirect as soon as anything
  // re-emits it, decoded, as a relative Location (trailing-slash redirects do), so it is refused like
  // `//evil.com` itself. Checked on the parsed path: dot segments (`/%2e/%2f%2fevil.com`) are gone there.
  if (LEADING_SLASHES.test(url.pathname) || /%(?:2f|5c)/i.test(url.hostname) || !isAllowedReturnUrl(url, req, config)) return undefined;
  return url.href;
}

/**
 * The base URL browsers reach Kratos at: `browserUrl`, joined with the request's origin when it is a path
 * such as `/.ory`. With `allowedReturnUrls` configured, a request whose own origin is not allowed is refused
 * (`BAD_REQUEST`) so a spoofed `Host` can never steer a redirect.
 */
export function browserBaseUrl(config: ResolvedKratosConfig, req: IncomingMessage): string {
  if (!config.browserUrlIsRelative) return config.browserUrl;
  const url = currentUrl(req);
  if (config.allowedReturnUrls.length > 0 && !isAllowedReturnUrl(new URL(url.origin), req, config)) {
    throw new KratosExpressError('BAD_REQUEST', `The request's origin ${url.origin} is not among allowedReturnUrls.`);
  }
  return url.origin + config.browserUrl;
}

/**
 * Maps a URL Kratos returned (`{publicUrl}/self-service/...`, e.g. a `redirect_browser_to` or `logout_url`)
 * to the browser URL. Returns `undefined` unless it points at Kratos (public or browser URL): never follows
 * an arbitrary URL.
 */
export function toBrowserUrl(kratosUrl: unknown, req: IncomingMessage, config: ResolvedKratosConfig): string | undefined {
  if (typeof kratosUrl !== 'string' || kratosUrl.length > 4096 || RAW_CONTROL.test(kratosUrl)) return undefined;
  let url: URL;
  try {
    url = new URL(kratosUrl);
  } catch {
    return undefined;
  }
  const rest = url.pathname + url.search;
  const browserBase = browserBaseUrl(config, req);
  for (const base of [config.publicUrl, browserBase]) {
    const prefix = new URL(base);
    const path = prefix.pathname.replace(/\/+$/, '');
    if (url.origin === prefix.origin && url.pathname.startsWith(`${path}/self-service/`) && !url.username && !url.password) {
      return browserBase + rest.slice(path.length);
    }
  }
  return undefined;
}

export interface LoginUrlOptions {
  /** Where to come back to; dropped unless {@link safeReturnTo} accepts it. */
  returnTo?: string;
  aal?: 'aal1' | 'aal2';
  refresh?: boolean;
}

/**
 * `<browserUrl>/self-service/login/browser?...` with `refresh=true`, `aal=aal2` and a safe `return_to`.
 *
 * @example
 * loginUrl(config, req, { returnTo: currentUrl(req).href, aal: 'aal2' });
 * // 'http://127.0.0.1:4433/self-service/login/browser?aal=aal2&return_to=http%3A%2F%2Fapp%2Fadmin'
 */
export function loginUrl(config: ResolvedKratosConfig, req: IncomingMessage, options: LoginUrlOptions = {}): string {
  const url = new URL(`${browserBaseUrl(config, req)}/self-service/login/browser`);
  if (options.refresh) url.searchParams.set('refresh', 'true');
  if (options.aal === 'aal2') url.searchParams.set('aal', 'aal2');
  const returnTo = safeReturnTo(options.returnTo, req, config);
  if (returnTo) url.searchParams.set('return_to', returnTo);
  return url.href;
}
