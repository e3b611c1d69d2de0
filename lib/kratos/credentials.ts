import * as crypto from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { parse as parseCookie } from 'cookie';
import type { SessionCredentials } from './client';
import { KratosExpressError } from './errors';

/** The session credential of a request. Empty object: no credential. */
export interface RequestCredentials extends SessionCredentials {
  /** Hex SHA-256 of the credential alone (never of the whole Cookie header): the cache and coalescing key. */
  key?: string;
}

/** Longest Cookie header accepted (Node rejects request heads over 16 KiB anyway). */
export const MAX_COOKIE_HEADER = 16 * 1024;
const MAX_CREDENTIAL = 4096;
const COOKIE_VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+$/;
const TOKEN = /^[\x21-\x2b\x2d-\x7e]+$/;
const RAW_VALUES = { decode: (value: string) => value };

/** SHA-256 of `kind \0 value`: one-shot `crypto.hash` where Node has it (>= 20.12), `createHash` otherwise. */
const sha256Hex: (data: string) => string =
  typeof crypto.hash === 'function' ? (data) => crypto.hash('sha256', data, 'hex') : (data) => crypto.createHash('sha256').update(data).digest('hex');
const hash = (kind: string, value: string) => sha256Hex(`${kind}\0${value}`);

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Finds the session credential of a request, in Kratos' order: `X-Session-Token`, the session cookie,
 * `Authorization: Bearer`. Throws `BAD_REQUEST` (400) for a malformed or oversized credential or Cookie
 * header; other `Authorization` schemes are ignored.
 *
 * @example
 * const { cookie, sessionToken, key } = getCredentials(req, config.sessionCookieName);
 * if (!key) { // no session credential at all: no need to ask Kratos
 * }
 */
export function getCredentials(req: IncomingMessage, cookieName: string): RequestCredentials {
  const { headers } = req;
  const token = header(headers, 'x-session-token');
  if (token !== undefined && token !== '') {
    if (token.length > MAX_CREDENTIAL || !TOKEN.test(token)) {
      throw new KratosExpressError('BAD_REQUEST', 'The X-Session-Token header is malformed: send exactly one session token.');
    }
    return { sessionToken: token, key: hash('token', token) };
  }

  const cookieHeader = header(headers, 'cookie');
  if (cookieHeader) {
    if (cookieHeader.length > MAX_COOKIE_HEADER) {
      throw new KratosExpressError('BAD_REQUEST', `The Cookie header is longer than ${MAX_COOKIE_HEADER} characters.`);
    }
    const value = parseCookie(cookieHeader, RAW_VALUES)[cookieName];
    if (value !== undefined && value !== '') {
      if (value.length > MAX_CREDENTIAL || !COOKIE_VALUE.test(value)) {
        throw new KratosExpressError('BAD_REQUEST', `The ${cookieName} cookie is malformed. Clear your cookies for this site and sign in again.`);
      }
      return { cookie: `${cookieName}=${value}`, key: hash('cookie', value) };
    }
  }

  const authorization = header(headers, 'authorization');
  const bearer = authorization && /^bearer(?:\s+|$)(.*)$/is.exec(authorization.trim());
  if (bearer) {
    const value = bearer[1];
    if (!value || value.length > MAX_CREDENTIAL || !TOKEN.test(value)) {
      throw new KratosExpressError('BAD_REQUEST', 'The Authorization header is malformed: use "Bearer <session token>".');
    }
    return { sessionToken: value, key: hash('token', value) };
  }
  return {};
}
