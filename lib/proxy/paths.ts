import picomatch from 'picomatch';
import { ProxyError } from './errors';

/** The path of a request, split for matching and forwarding. */
export interface RequestTarget {
  /** Path as sent (still percent-encoded), e.g. `/api/caf%C3%A9`. */
  readonly rawPath: string;
  /** Query string with its `?`, or `''`. */
  readonly search: string;
  /** Percent-decoded path with repeated slashes collapsed: what rules are matched against. */
  readonly path: string;
}

const ENCODED_FORBIDDEN = /%(?:2f|5c|0[0-9a-f]|1[0-9a-f]|7f)/i;
const RAW_FORBIDDEN = /[\0-\x20\x7f\\]/;
const DOT_SEGMENT = /(?:^|\/)\.{1,2}(?:\/|$)/;

const badPath = (why: string) => new ProxyError('PROXY_BAD_PATH', `The request path ${why}.`);

/**
 * Parses a request target for access decisions. Refuses (400 `PROXY_BAD_PATH`) what different servers read
 * differently: dot segments (`/a/../b`, also `%2e%2e`), encoded slashes and backslashes, control characters
 * and malformed percent-encoding, so a path can never match one rule at the gate and mean another upstream.
 *
 * @example
 * parseTarget('/api//caf%C3%A9?x=1'); // { rawPath: '/api//caf%C3%A9', search: '?x=1', path: '/api/café' }
 */
export function parseTarget(url: string | undefined): RequestTarget {
  let target = url ?? '/';
  if (!target.startsWith('/')) {
    try {
      const absolute = new URL(target);
      target = absolute.pathname + absolute.search;
    } catch {
      throw badPath('is malformed');
    }
  }
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const search = q === -1 ? '' : target.slice(q);
  if (RAW_FORBIDDEN.test(rawPath)) throw badPath('contains control characters, spaces or backslashes');
  if (ENCODED_FORBIDDEN.test(rawPath)) throw badPath('contains an encoded slash, backslash or control character');
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    throw badPath('has malformed percent-encoding');
  }
  if (DOT_SEGMENT.test(decoded)) throw badPath('contains "." or ".." segments');
  return { rawPath, search, path: decoded.replace(/\/{2,}/g, '/') };
}

/**
 * Compiles a path pattern: a glob when it has glob characters (`/api/**`, `/static/*.css`, `/{a,b}/**`;
 * `*` stays within one segment), otherwise a prefix matched on segment boundaries (`/api` matches `/api`,
 * `/api/` and `/api/x`, not `/apix`). Returns the problem as a string when the pattern is invalid.
 */
export function compilePathPattern(pattern: unknown): ((path: string) => boolean) | string {
  if (typeof pattern !== 'string' || !pattern.startsWith('/')) return 'is not a path pattern starting with "/"';
  if (RAW_FORBIDDEN.test(pattern) || DOT_SEGMENT.test(pattern)) return 'contains spaces, backslashes, control characters or dot segments';
  if (picomatch.scan(pattern).isGlob) {
    try {
      const isMatch = picomatch(pattern, { dot: true, strictSlashes: false });
      return (path) => isMatch(path);
    } catch (err) {
      return `is not a valid glob (${(err as Error).message})`;
    }
  }
  const prefix = pattern.replace(/\/+$/, '');
  if (prefix === '') return () => true;
  return (path) => path === prefix || path.startsWith(`${prefix}/`);
}
