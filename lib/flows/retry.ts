import { parse as parseCookie, serialize as serializeCookie } from 'cookie';
import { currentUrl } from '../kratos/request';
import type { PageRequest } from './respond';

/** Short-lived cookie counting consecutive flow restarts; cleared when a flow renders. */
export const RETRY_COOKIE = 'kratos_express_retry';
/** Query parameter of the hop that checks the browser keeps cookies before a CSRF restart. */
export const RETRY_PARAM = 'csrf_retry';
/** Restarts allowed in a row before the error page is shown instead. */
export const MAX_RESTARTS = 2;
const RETRY_MAX_AGE = 300;

/** How many restarts in a row this browser has gone through (0 without the cookie). */
export function restartCount(page: PageRequest): number {
  const header = page.req.headers.cookie;
  if (!header || header.length > 16 * 1024) return 0;
  const value = parseCookie(header)[RETRY_COOKIE];
  return value !== undefined && /^[1-9]$/.test(value) ? Number(value) : 0;
}

function cookieOptions(page: PageRequest, maxAge: number) {
  let secure = false;
  try {
    secure = currentUrl(page.req).protocol === 'https:';
  } catch {
    secure = false;
  }
  return { path: page.mount || '/', httpOnly: true, sameSite: 'lax' as const, secure, maxAge };
}

/** `Set-Cookie` value recording `count` restarts in a row. */
export function restartCookie(page: PageRequest, count: number): string {
  return serializeCookie(RETRY_COOKIE, String(count), cookieOptions(page, RETRY_MAX_AGE));
}

/** `Set-Cookie` value deleting the restart counter. */
export function clearRestartCookie(page: PageRequest): string {
  return serializeCookie(RETRY_COOKIE, '', cookieOptions(page, 0));
}
