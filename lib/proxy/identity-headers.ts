import type { IncomingHttpHeaders } from 'node:http';
import type { Session } from '@ory/kratos-client-fetch';
import { describeValue } from '../kratos/config';
import { compileSessionValue, headerSafe, type SessionValue } from './session-values';

/** Header name => session field. */
export type IdentityHeaderTemplate = Record<string, SessionValue>;

/** The identity headers sent by default. */
export const DEFAULT_IDENTITY_HEADERS: Readonly<IdentityHeaderTemplate> = Object.freeze({
  'X-User-Id': 'identity.id',
  'X-User-Email': 'identity.traits.email',
  'X-Session-Id': 'id',
  'X-User-Aal': 'authenticator_assurance_level',
});

/**
 * Names a client may use to pretend to be someone (after lower-casing and `_` => `-`): the kit's own headers
 * and those of oauth2-proxy, Oathkeeper, Pomerium-style setups and web servers' `REMOTE_USER`.
 */
const SPOOFABLE_PREFIXES = ['x-user-', 'x-auth-request-', 'x-identity-', 'x-kratos-', 'x-forwarded-user', 'x-forwarded-email', 'x-forwarded-preferred-username', 'x-forwarded-groups', 'x-forwarded-access-token', 'x-remote-', 'remote-user', 'x-session-id', 'x-jwt-assertion', 'x-id-token', 'x-pomerium-'];

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const RESERVED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'cookie', 'set-cookie', 'proxy-authorization', 'proxy-authenticate', 'content-type', 'expect', 'forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto']);

/** Lower-case, with `_` read as `-`: how the gate compares header names. */
export const normalizeHeaderName = (name: string): string => name.toLowerCase().replace(/_/g, '-');

export interface CompiledIdentityHeaders {
  /** Header names as configured, in order. */
  readonly names: readonly string[];
  /** Trusted header values for a session (missing fields are left out). */
  values(session: Session): Array<[string, string]>;
}

/** Validates a header name chosen by the user (template entries, the JWT header). */
export function headerNameProblem(name: string): string | undefined {
  if (!TOKEN.test(name)) return 'is not a valid header name';
  if (RESERVED.has(normalizeHeaderName(name))) return 'is a header the proxy manages itself; choose another name such as X-User-Id';
  return undefined;
}

/** Compiles the identity header template (`headers` option); `false` sends no identity headers. */
export function compileIdentityHeaders(template: unknown, option: string, problems: string[]): CompiledIdentityHeaders {
  const raw = template === undefined ? DEFAULT_IDENTITY_HEADERS : template === false ? {} : template;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push(`${option}: ${describeValue(raw)} is not a header template. Use an object such as { 'X-User-Id': 'identity.id', 'X-User-Role': 'identity.metadata_public.role' }, or false.`);
    return { names: [], values: () => [] };
  }
  const seen = new Set<string>();
  const entries: Array<[string, (session: Session) => unknown]> = [];
  for (const [name, value] of Object.entries(raw)) {
    const problem = headerNameProblem(name);
    if (problem) problems.push(`${option}: ${JSON.stringify(name)} ${problem}.`);
    else if (seen.has(normalizeHeaderName(name))) problems.push(`${option}: ${JSON.stringify(name)} is listed twice (names are compared case- and _/- insensitively).`);
    seen.add(normalizeHeaderName(name));
    entries.push([name, compileSessionValue(value, `${option}.${name}`, problems)]);
  }
  return {
    names: entries.map(([name]) => name),
    values(session) {
      const out: Array<[string, string]> = [];
      for (const [name, get] of entries) {
        const value = headerSafe(get(session));
        if (value !== undefined) out.push([name, value]);
      }
      return out;
    },
  };
}

/**
 * Builds the predicate of headers a client must never be able to send upstream: every known identity header
 * family plus `extraNames` (template names, the JWT header), compared case- and `_`/`-`-insensitively.
 */
export function spoofedHeaderPredicate(extraNames: readonly string[]): (name: string) => boolean {
  const exact = new Set(extraNames.map(normalizeHeaderName));
  return (name) => {
    const normalized = normalizeHeaderName(name);
    return exact.has(normalized) || SPOOFABLE_PREFIXES.some((prefix) => normalized.startsWith(prefix));
  };
}

/** Deletes every header matching `isSpoofed` from a Node header object, in place. */
export function stripHeaders(headers: IncomingHttpHeaders, isSpoofed: (name: string) => boolean): void {
  for (const name of Object.keys(headers)) if (isSpoofed(name)) delete headers[name];
}
