import * as crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
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

/** A header's value; a repeated header Node kept as an array is joined, as Node joins most headers. */
const one = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value.join(', ') : value);

/** Where a credential was found: each place has its own characters and its own error. */
type CredentialKind = 'token' | 'cookie' | 'bearer';

/**
 * A request's credential as found and hashed, its characters not checked yet: {@link checkedCredentials}
 * checks them. A cache can look `key` up first: a key it holds is that of a credential checked when it was
 * cached (two credentials with one SHA-256 are not to be found), so a hit needs no second check.
 */
export interface FoundCredential {
  kind: CredentialKind;
  value: string;
  key: string;
}

function malformed(kind: CredentialKind, cookieName: string): KratosExpressError {
  if (kind === 'token') return new KratosExpressError('BAD_REQUEST', 'The X-Session-Token header is malformed: send exactly one session token.');
  if (kind === 'bearer') return new KratosExpressError('BAD_REQUEST', 'The Authorization header is malformed: use "Bearer <session token>".');
  return new KratosExpressError('BAD_REQUEST', `The ${cookieName} cookie is malformed. Clear your cookies for this site and sign in again.`);
}

function found(kind: CredentialKind, value: string, cookieName: string): FoundCredential {
  if (value.length > MAX_CREDENTIAL) throw malformed(kind, cookieName);
  return { kind, value, key: hash(kind === 'cookie' ? 'cookie' : 'token', value) };
}

/** What the last Cookie header of a connection gave (see {@link sessionCookie}). */
interface LastCookie {
  header: string;
  cookieName: string;
  found: FoundCredential | undefined;
}
const LAST_COOKIE = Symbol('kratos-express.lastCookie');
type WithLastCookie = Socket & { [LAST_COOKIE]?: LastCookie };

/**
 * The session cookie found in a Cookie header. A keep-alive connection remembers what its last Cookie header
 * gave, so that a browser sending the same header again (every request of a signed-in user, on each of its
 * connections) costs a string comparison instead of a cookie parse and a SHA-256. The result is a function
 * of the exact header text, so a connection carrying other users' requests (behind a proxy that shares
 * connections) gets the same answers, recomputed. Kept on the connection, the last header lives at most as
 * long as the connection, and is replaced by the next one.
 */
function sessionCookie(socket: Socket | null | undefined, header: string, cookieName: string): FoundCredential | undefined {
  const connection = socket instanceof Socket ? (socket as WithLastCookie) : undefined;
  const last = connection?.[LAST_COOKIE];
  if (last !== undefined && last.header === header && last.cookieName === cookieName) return last.found;
  if (header.length > MAX_COOKIE_HEADER) {
    throw new KratosExpressError('BAD_REQUEST', `The Cookie header is longer than ${MAX_COOKIE_HEADER} characters.`);
  }
  const value = parseCookie(header, RAW_VALUES)[cookieName];
  const result = value !== undefined && value !== '' ? found('cookie', value, cookieName) : undefined;
  if (connection !== undefined) connection[LAST_COOKIE] = { header, cookieName, found: result };
  return result;
}

/**
 * Finds the session credential of a request, in Kratos' order: `X-Session-Token`, the session cookie,
 * `Authorization: Bearer`; `undefined` when there is none. Throws `BAD_REQUEST` (400) for an oversized
 * Cookie header or credential and an empty bearer token; other `Authorization` schemes are ignored. The
 * credential's characters are checked by {@link checkedCredentials}.
 */
export function findCredential(req: IncomingMessage, cookieName: string): FoundCredential | undefined {
  const { headers } = req;
  const token = one(headers['x-session-token']);
  if (token !== undefined && token !== '') return found('token', token, cookieName);

  const cookieHeader = one(headers.cookie);
  if (cookieHeader) {
    const fromCookie = sessionCookie(req.socket, cookieHeader, cookieName);
    if (fromCookie !== undefined) return fromCookie;
  }

  const authorization = one(headers.authorization);
  const bearer = authorization && /^bearer(?:\s+|$)(.*)$/is.exec(authorization.trim());
  if (!bearer) return undefined;
  if (!bearer[1]) throw malformed('bearer', cookieName);
  return found('bearer', bearer[1], cookieName);
}

/** The credentials of what {@link findCredential} found, once its characters are checked (else `BAD_REQUEST`). */
export function checkedCredentials(credential: FoundCredential | undefined, cookieName: string): RequestCredentials {
  if (credential === undefined) return {};
  const { kind, value, key } = credential;
  if (!(kind === 'cookie' ? COOKIE_VALUE : TOKEN).test(value)) throw malformed(kind, cookieName);
  return kind === 'cookie' ? { cookie: `${cookieName}=${value}`, key } : { sessionToken: value, key };
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
  return checkedCredentials(findCredential(req, cookieName), cookieName);
}
