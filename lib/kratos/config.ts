import { parseDuration } from './duration';
import { parseAllowedReturnUrl, type ReturnUrlRule } from './return-url-rules';
import { suggestName } from './suggest';

/** A `fetch`-compatible function (global fetch, undici's, node-fetch@3, ...). */
export type FetchLike = (input: string, init: FetchLikeInit) => Promise<FetchLikeResponse>;

export interface FetchLikeInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  redirect: 'manual';
  signal: AbortSignal;
}

export interface FetchLikeResponse {
  status: number;
  headers: { forEach(callback: (value: string, name: string) => void): void; getSetCookie?(): string[]; raw?(): Record<string, string[]> };
  text(): Promise<string>;
}

/** Options shared by every part of the kit. Every field is optional when the environment provides it. */
export interface KratosOptions {
  /** Where this server reaches Kratos' public API. Env: `KRATOS_PUBLIC_URL`. */
  publicUrl?: string;
  /** Where browsers reach Kratos: an absolute URL or a path of this app such as `/.ory`. Env: `KRATOS_BROWSER_URL`. Default: `publicUrl`. */
  browserUrl?: string;
  /** Time allowed for one Kratos call, in ms or as `'5s'`. Default 5000. */
  timeout?: number | string;
  /** Origins or URL prefixes `return_to` may point at besides this app's own origin, e.g. `'https://*.example.com/'`. */
  allowedReturnUrls?: string[];
  /** Kratos' session cookie name (`session.cookie.name`). Default `ory_kratos_session`. */
  sessionCookieName?: string;
  /** Custom transport. Default: an undici keep-alive `Pool` to the Kratos origin. */
  fetch?: FetchLike;
  /** Size of the keep-alive pool of the default transport. Default 64. */
  connections?: number;
  /** Cache of active sessions keyed by the hash of the session credential, or `false` (default). */
  cache?: { ttl: number | string; max?: number } | false;
  /** Request property the session is attached to. Default `session`; use e.g. `kratosSession` next to express-session. */
  sessionProperty?: string;
}

/** The validated, precomputed form of {@link KratosOptions}. */
export interface ResolvedKratosConfig {
  /** `publicUrl` without trailing slash, e.g. `http://127.0.0.1:4433`. */
  readonly publicUrl: string;
  /** Origin of `publicUrl`, the only origin credentials are ever sent to. */
  readonly publicOrigin: string;
  /** Path prefix of `publicUrl` (`''` when Kratos is at the root). */
  readonly publicPath: string;
  /** `browserUrl` without trailing slash: absolute (`http://...`) or a path (`/.ory`). */
  readonly browserUrl: string;
  readonly browserUrlIsRelative: boolean;
  readonly timeout: number;
  readonly allowedReturnUrls: readonly ReturnUrlRule[];
  readonly sessionCookieName: string;
  readonly fetch?: FetchLike;
  readonly connections: number;
  readonly cache: { readonly ttl: number; readonly max: number } | false;
  readonly sessionProperty: string;
  /** A string equal for equal configurations; used to share one context per configuration. */
  readonly key: string;
}

/** Thrown at start-up when options are invalid; `message` lists every problem. */
export class KratosConfigError extends Error {
  override readonly name = 'KratosConfigError';
  readonly code = 'KRATOS_CONFIG_INVALID';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid kratos-express configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

export const KRATOS_OPTION_NAMES: readonly string[] = [
  'publicUrl', 'browserUrl', 'timeout', 'allowedReturnUrls', 'sessionCookieName', 'fetch', 'connections', 'cache', 'sessionProperty',
];

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PROPERTY_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const RESERVED_PROPERTIES = new Set([
  '__proto__', 'constructor', 'prototype', 'headers', 'rawHeaders', 'url', 'method', 'socket', 'connection', 'body', 'query',
  'params', 'cookies', 'signedCookies', 'app', 'res', 'req', 'next', 'route', 'baseUrl', 'originalUrl', 'path', 'protocol',
  'host', 'hostname', 'ip', 'ips', 'secure', 'xhr', 'locals', 'complete', 'aborted', 'httpVersion', 'trailers', 'statusCode',
]);
const fetchIds = new WeakMap<FetchLike, number>();
let nextFetchId = 1;

export const describeValue = (value: unknown): string => {
  if (typeof value === 'string') return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}...` : value);
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

function parseHttpUrl(value: string): URL | undefined {
  if (!/^https?:\/\//i.test(value)) return undefined;
  try {
    const url = new URL(value);
    if (url.username || url.password || url.search || url.hash || !url.hostname) return undefined;
    return url;
  } catch {
    return undefined;
  }
}

/**
 * Reports unknown option names with a did-you-mean suggestion. Used by every factory of the kit.
 *
 * @example
 * unknownOptionProblems({ publicURL: 'x' }, ['publicUrl']); // ['publicURL: unknown option. Did you mean publicUrl?']
 */
export function unknownOptionProblems(options: object, known: readonly string[]): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const suggestion = suggestName(name, known);
    problems.push(`${name}: unknown option.${suggestion ? ` Did you mean ${suggestion}?` : ` Known options: ${known.join(', ')}.`}`);
  }
  return problems;
}

/**
 * Validates {@link KratosOptions} (falling back to `KRATOS_PUBLIC_URL` / `KRATOS_BROWSER_URL` in `env`) and
 * returns the resolved configuration together with every problem found, so that callers validating more
 * options can report all problems in one throw. `extraOptionNames` are accepted without complaint.
 */
export function checkKratosOptions(
  options: KratosOptions,
  env: NodeJS.ProcessEnv = process.env,
  extraOptionNames: readonly string[] = [],
): { config?: ResolvedKratosConfig; problems: string[] } {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    return { problems: [`options: ${describeValue(options)} is not an object. Pass an options object such as { publicUrl: 'http://127.0.0.1:4433' }.`] };
  }
  const problems = unknownOptionProblems(options, [...KRATOS_OPTION_NAMES, ...extraOptionNames]);

  const rawPublic = options.publicUrl ?? env.KRATOS_PUBLIC_URL;
  const publicFrom = options.publicUrl !== undefined ? 'publicUrl' : 'publicUrl (from KRATOS_PUBLIC_URL)';
  let publicUrl: URL | undefined;
  if (rawPublic === undefined || rawPublic === '') {
    problems.push('publicUrl: is not set. Pass publicUrl or set KRATOS_PUBLIC_URL to where your server reaches Kratos\' public API, for example http://127.0.0.1:4433.');
  } else if (typeof rawPublic !== 'string' || !(publicUrl = parseHttpUrl(rawPublic))) {
    problems.push(`${publicFrom}: ${describeValue(rawPublic)} is not a valid http(s) URL. Set it to where your server reaches Kratos' public API, for example http://127.0.0.1:4433.`);
  }

  const rawBrowser = options.browserUrl ?? env.KRATOS_BROWSER_URL;
  const browserFrom = options.browserUrl !== undefined ? 'browserUrl' : 'browserUrl (from KRATOS_BROWSER_URL)';
  let browserUrl: string | undefined;
  let browserUrlIsRelative = false;
  if (rawBrowser === undefined || rawBrowser === '') {
    browserUrl = publicUrl ? publicUrl.href.replace(/\/+$/, '') : undefined;
  } else if (typeof rawBrowser === 'string' && /^\/(?![/\\])[^\s\\?#]*$/.test(rawBrowser) && !/%2f|%5c/i.test(rawBrowser)) {
    browserUrl = rawBrowser.replace(/\/+$/, '');
    browserUrlIsRelative = true;
  } else {
    const parsed = typeof rawBrowser === 'string' ? parseHttpUrl(rawBrowser) : undefined;
    if (parsed) browserUrl = parsed.href.replace(/\/+$/, '');
    else {
      problems.push(`${browserFrom}: ${describeValue(rawBrowser)} is neither an http(s) URL nor a path starting with "/". Set it to where browsers reach Kratos, for example "/.ory" (the app's Kratos proxy) or http://127.0.0.1:4433.`);
    }
  }

  let timeout = 5000;
  if (options.timeout !== undefined) {
    const parsed = parseDuration(options.timeout);
    if (parsed === undefined || parsed > 600_000) {
      problems.push(`timeout: ${describeValue(options.timeout)} is not a valid duration. Use milliseconds (5000) or a string such as '5s', at most 10 minutes.`);
    } else timeout = parsed;
  }

  const allowedReturnUrls: ReturnUrlRule[] = [];
  if (options.allowedReturnUrls !== undefined) {
    if (!Array.isArray(options.allowedReturnUrls)) {
      problems.push(`allowedReturnUrls: ${describeValue(options.allowedReturnUrls)} is not an array. Use a list such as ['https://app.example.com', 'https://*.example.com/'].`);
    } else {
      options.allowedReturnUrls.forEach((entry, i) => {
        const rule = parseAllowedReturnUrl(entry);
        if (typeof rule === 'string') problems.push(`allowedReturnUrls[${i}]: ${describeValue(entry)} ${rule}`);
        else allowedReturnUrls.push(rule);
      });
    }
  }

  const sessionCookieName = options.sessionCookieName ?? 'ory_kratos_session';
  if (typeof sessionCookieName !== 'string' || !COOKIE_NAME.test(sessionCookieName)) {
    problems.push(`sessionCookieName: ${describeValue(sessionCookieName)} is not a valid cookie name. Use Kratos' session.cookie.name, by default "ory_kratos_session".`);
  }

  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    problems.push(`fetch: ${describeValue(options.fetch)} is not a function. Pass a fetch-compatible function (for example node-fetch's default export) or leave it out to use the built-in keep-alive pool.`);
  }

  const connections = options.connections ?? 64;
  if (!Number.isInteger(connections) || connections < 1 || connections > 10_000) {
    problems.push(`connections: ${describeValue(connections)} is not a valid pool size. Use an integer from 1 to 10000 (default 64).`);
  }

  let cache: ResolvedKratosConfig['cache'] = false;
  if (options.cache !== undefined && options.cache !== false) {
    const raw = options.cache as unknown;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push(`cache: ${describeValue(raw)} is not valid. Use false or an object such as { ttl: '30s', max: 10000 }.`);
    } else {
      const { ttl, max = 10_000, ...rest } = raw as { ttl?: unknown; max?: unknown };
      for (const name of Object.keys(rest)) problems.push(`cache.${name}: unknown option. Use { ttl, max }.`);
      const ttlMs = parseDuration(ttl);
      if (ttlMs === undefined) problems.push(`cache.ttl: ${describeValue(ttl)} is not a valid duration. Use milliseconds or a string such as '30s'.`);
      if (!Number.isInteger(max) || (max as number) < 1) problems.push(`cache.max: ${describeValue(max)} is not a positive integer. Use the maximum number of cached sessions, for example 10000.`);
      if (ttlMs !== undefined && Number.isInteger(max) && (max as number) >= 1) cache = { ttl: ttlMs, max: max as number };
    }
  }

  const sessionProperty = options.sessionProperty ?? 'session';
  if (typeof sessionProperty !== 'string' || !PROPERTY_NAME.test(sessionProperty) || RESERVED_PROPERTIES.has(sessionProperty)) {
    problems.push(`sessionProperty: ${describeValue(sessionProperty)} cannot be used as a request property. Use an identifier such as "session" or "kratosSession" (next to express-session).`);
  }

  if (problems.length > 0 || !publicUrl || browserUrl === undefined) return { problems };

  const publicBase = publicUrl.href.replace(/\/+$/, '');
  let fetchId = 0;
  if (options.fetch) {
    fetchId = fetchIds.get(options.fetch) ?? nextFetchId++;
    fetchIds.set(options.fetch, fetchId);
  }
  const config: ResolvedKratosConfig = {
    publicUrl: publicBase,
    publicOrigin: publicUrl.origin,
    publicPath: publicUrl.pathname.replace(/\/+$/, ''),
    browserUrl,
    browserUrlIsRelative,
    timeout,
    allowedReturnUrls,
    sessionCookieName,
    fetch: options.fetch,
    connections,
    cache,
    sessionProperty,
    key: JSON.stringify([publicBase, browserUrl, timeout, allowedReturnUrls.map((r) => r.source), sessionCookieName, fetchId, connections, cache, sessionProperty]),
  };
  return { config, problems };
}

/**
 * Validates options once at start-up and precomputes what requests need.
 * Throws one {@link KratosConfigError} (code `KRATOS_CONFIG_INVALID`) that lists every problem.
 *
 * @example
 * const config = resolveConfig({ publicUrl: 'http://127.0.0.1:4433', browserUrl: '/.ory', cache: { ttl: '30s' } });
 * config.timeout; // 5000
 */
export function resolveConfig(options: KratosOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedKratosConfig {
  const { config, problems } = checkKratosOptions(options, env);
  if (!config) throw new KratosConfigError(problems);
  return config;
}
