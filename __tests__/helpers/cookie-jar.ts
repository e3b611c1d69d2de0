import { CookieJar as ToughCookieJar } from 'tough-cookie';

/** Anything that carries `Set-Cookie` headers: a fetch/undici `Response`, a supertest response, or the raw values. */
export type SetCookieSource =
  | string
  | readonly string[]
  | Headers
  | { headers: Headers | Record<string, string | string[] | number | undefined> }
  | null
  | undefined;

export interface CookieJar {
  /** Stores every `Set-Cookie` of `source` as a browser at `url` would (Max-Age=0 deletes, Path and Domain kept). */
  store(url: string | URL, source: SetCookieSource): void;
  /** The `Cookie` header a browser would send to `url` (`''` when it sends none). */
  header(url: string | URL): string;
  /** The value of the named cookie a browser would send to `url`, or `undefined`. */
  get(name: string, url: string | URL): string | undefined;
  /** Names of the cookies a browser would send to `url`. */
  names(url: string | URL): string[];
  /** Stores a cookie from a `name=value` string (optionally with attributes), as if `url` had set it. */
  set(cookie: string, url: string | URL): void;
  clear(): void;
  /**
   * `fetch` that behaves like a browser tab: sends the jar's cookies, stores every `Set-Cookie`, and follows
   * redirects itself so that cookies set on intermediate responses are kept (303, and 301/302 after POST,
   * continue with GET and no body). `redirect: 'manual'` returns the 3xx response untouched.
   */
  fetch: typeof fetch;
}

const MAX_REDIRECTS = 20;

function setCookieValues(source: SetCookieSource): string[] {
  if (source === null || source === undefined) return [];
  if (typeof source === 'string') return [source];
  if (Array.isArray(source)) return [...(source as readonly string[])];
  if (source instanceof Headers) return source.getSetCookie();
  const headers = (source as { headers: unknown }).headers;
  if (headers instanceof Headers) return headers.getSetCookie();
  const raw = (headers as Record<string, unknown>)['set-cookie'];
  if (raw === undefined) return [];
  return Array.isArray(raw) ? raw.map(String) : [String(raw)];
}

function requestUrl(input: Parameters<typeof fetch>[0]): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  return input.url;
}

/**
 * A cookie jar on `tough-cookie` for tests: use it with `fetch`/undici (`jar.fetch`, or `jar.header()` +
 * `jar.store()`), with the official SDK (`new Configuration({ basePath, fetchApi: jar.fetch })`) and with
 * supertest (`.set('Cookie', jar.header(url))`, then `jar.store(url, res)`). Loopback origins count as
 * secure, so `Secure` cookies of a server on `http://127.0.0.1` are kept, as browsers do.
 */
export function createCookieJar(): CookieJar {
  const jar = new ToughCookieJar(undefined, { allowSecureOnLocal: true, rejectPublicSuffixes: false });

  function store(url: string | URL, source: SetCookieSource): void {
    for (const value of setCookieValues(source)) jar.setCookieSync(value, url, { ignoreError: true });
  }

  function header(url: string | URL): string {
    return jar.getCookieStringSync(url);
  }

  function get(name: string, url: string | URL): string | undefined {
    return jar.getCookiesSync(url).find((cookie) => cookie.key === name)?.value;
  }

  function names(url: string | URL): string[] {
    return jar.getCookiesSync(url).map((cookie) => cookie.key);
  }

  async function cookieFetch(input: Parameters<typeof fetch>[0], init: RequestInit = {}): Promise<Response> {
    const manual = init.redirect === 'manual';
    const baseHeaders = new Headers(input instanceof Request ? input.headers : undefined);
    new Headers(init.headers).forEach((value, key) => baseHeaders.set(key, value));
    let url = requestUrl(input);
    let method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    let body = init.body ?? (input instanceof Request ? input.body : undefined);
    for (let hop = 0; ; hop += 1) {
      const headers = new Headers(baseHeaders);
      const cookie = header(url);
      if (cookie) headers.set('cookie', cookie);
      else headers.delete('cookie');
      const response = await fetch(url, { ...init, method, headers, body, redirect: 'manual' });
      store(url, response);
      const location = response.headers.get('location');
      if (manual || location === null || response.status < 300 || response.status > 399 || response.status === 304) return response;
      if (hop >= MAX_REDIRECTS) throw new Error(`cookie jar fetch: more than ${MAX_REDIRECTS} redirects, last to ${location}`);
      await response.body?.cancel();
      const next = new URL(location, url);
      if (next.origin !== new URL(url).origin) baseHeaders.delete('authorization');
      url = next.href;
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        if (method !== 'HEAD') method = 'GET';
        body = undefined;
        baseHeaders.delete('content-type');
        baseHeaders.delete('content-length');
      }
    }
  }

  return {
    store,
    header,
    get,
    names,
    set: (cookie, url) => store(url, cookie),
    clear: () => jar.removeAllCookiesSync(),
    fetch: cookieFetch as typeof fetch,
  };
}
