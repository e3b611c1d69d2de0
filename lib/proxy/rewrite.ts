import { parseSetCookie, stringifySetCookie } from 'cookie';

const identity = (value: string) => value;

export interface CookieRewrite {
  /** `Domain` to set, or `undefined` to drop it (host-only cookie on the app's origin). */
  domain?: string;
  /** Whether the browser reached the app over https: `Secure` is added, else removed. */
  secure: boolean;
}

/**
 * Rewrites one `Set-Cookie` of Kratos for the app's origin: `Domain` dropped (or set to the configured cookie
 * domain), `Secure` following the browser's protocol, everything else (name, value, `Path`, `Max-Age`,
 * `Expires`, `HttpOnly`, `SameSite`) kept.
 *
 * @example
 * rewriteSetCookie('ory_kratos_session=abc; Path=/; Domain=kratos.internal; HttpOnly; Secure', { secure: false });
 * // 'ory_kratos_session=abc; Path=/; HttpOnly'
 */
export function rewriteSetCookie(header: string, rewrite: CookieRewrite): string {
  try {
    const cookie = parseSetCookie(header, { decode: identity });
    cookie.domain = rewrite.domain;
    cookie.secure = rewrite.secure;
    return stringifySetCookie(cookie, { encode: identity });
  } catch {
    const kept = header.split(';').filter((part, i) => i === 0 || !/^\s*(?:domain|secure)\s*(?:=|$)/i.test(part));
    if (rewrite.domain) kept.push(` Domain=${rewrite.domain}`);
    if (rewrite.secure) kept.push(' Secure');
    return kept.join(';');
  }
}

/**
 * Maps a `Location` of Kratos to the app: a URL on Kratos' own base (`publicUrl`) or a root-relative path becomes
 * `<app origin><prefix><rest>`; any other URL (the app's own UI URLs, `return_to` targets) is left as is.
 *
 * @example
 * rewriteLocation('http://kratos:4433/self-service/login/browser?aal=aal2', 'http://kratos:4433', 'https://app.example.com/.ory');
 * // 'https://app.example.com/.ory/self-service/login/browser?aal=aal2'
 */
export function rewriteLocation(location: string, kratosBase: string, browserBase: string): string {
  if (location.startsWith('/') && !location.startsWith('//') && !location.startsWith('/\\')) return new URL(browserBase).pathname.replace(/\/+$/, '') + location;
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return location;
  }
  const base = new URL(kratosBase);
  const basePath = base.pathname.replace(/\/+$/, '');
  if (url.origin !== base.origin || url.username || url.password) return location;
  if (url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) return location;
  return browserBase + url.pathname.slice(basePath.length) + url.search + url.hash;
}

/**
 * Keeps only the cookies Kratos reads (its session cookie, `csrf_token*`, `ory_kratos_*`) of a Cookie header.
 * Names are compared without the spaces around them (`app_session = v`), as Kratos and the kit's own parser read them.
 */
export function kratosCookies(header: string | undefined, sessionCookieName: string): string | undefined {
  if (!header) return undefined;
  const kept = header.split(';').map((pair) => pair.trim()).filter((pair) => {
    const name = pair.slice(0, Math.max(pair.indexOf('='), 0)).trim();
    return name === sessionCookieName || name.startsWith('csrf_token') || name.startsWith('ory_kratos_');
  });
  return kept.length > 0 ? kept.join('; ') : undefined;
}
