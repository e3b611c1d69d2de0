import type { IncomingMessage } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import type { Session } from '@ory/kratos-client-fetch';

/** A route requirement: return `false` (or a promise of it) to answer 403 FORBIDDEN. */
export type SessionCheck = (session: Session, req: IncomingMessage) => boolean | Promise<boolean>;

function parsePath(helper: string, path: unknown): string[] {
  const segments = typeof path === 'string' ? path.split('.') : [];
  if (segments.length === 0 || segments.some((s) => s === '' || s === '__proto__' || s === 'constructor' || s === 'prototype')) {
    throw new TypeError(`${helper}: ${JSON.stringify(path)} is not a valid path. Use dot-separated keys such as "email" or "name.first".`);
  }
  return segments;
}

function lookup(root: unknown, segments: readonly string[]): unknown {
  let value = root;
  for (const segment of segments) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function includesAll(container: unknown, values: readonly unknown[]): boolean {
  if (Array.isArray(container)) return values.every((v) => container.some((item) => isDeepStrictEqual(item, v)));
  if (typeof container === 'string') {
    const words = container.split(/\s+/);
    return values.every((v) => typeof v === 'string' && words.includes(v));
  }
  return false;
}

/**
 * The identity has a verified address, optionally of one kind.
 *
 * @example
 * app.get('/orders', requireSession({ check: hasVerifiedAddress('email') }), handler);
 */
export function hasVerifiedAddress(via?: 'email' | 'sms'): SessionCheck {
  if (via !== undefined && via !== 'email' && via !== 'sms') {
    throw new TypeError(`hasVerifiedAddress: ${JSON.stringify(via)} is not an address kind. Use 'email', 'sms' or nothing.`);
  }
  return function verifiedAddress(session) {
    return (session.identity?.verifiable_addresses ?? []).some((a) => a.verified === true && (via === undefined || a.via === via));
  };
}

/** The identity has a verified e-mail address. */
export function hasVerifiedEmail(): SessionCheck {
  return hasVerifiedAddress('email');
}

/**
 * A trait equals a value (deep equality). `path` is dot-separated.
 *
 * @example
 * requireSession({ check: traitEquals('role', 'admin') });
 */
export function traitEquals(path: string, value: unknown): SessionCheck {
  const segments = parsePath('traitEquals', path);
  return function traitEqualsCheck(session) {
    return isDeepStrictEqual(lookup(session.identity?.traits, segments), value);
  };
}

/**
 * A trait (an array, or a space-separated string) contains every value.
 *
 * @example
 * requireSession({ check: traitIncludes('groups', 'staff', 'billing') });
 */
export function traitIncludes(path: string, ...values: unknown[]): SessionCheck {
  const segments = parsePath('traitIncludes', path);
  if (values.length === 0) throw new TypeError('traitIncludes: give at least one value to look for.');
  return function traitIncludesCheck(session) {
    return includesAll(lookup(session.identity?.traits, segments), values);
  };
}

/** A key of the identity's `metadata_public` equals a value (deep equality). */
export function metadataEquals(path: string, value: unknown): SessionCheck {
  const segments = parsePath('metadataEquals', path);
  return function metadataEqualsCheck(session) {
    return isDeepStrictEqual(lookup(session.identity?.metadata_public, segments), value);
  };
}

/** A key of the identity's `metadata_public` (an array, or a space-separated string) contains every value. */
export function metadataIncludes(path: string, ...values: unknown[]): SessionCheck {
  const segments = parsePath('metadataIncludes', path);
  if (values.length === 0) throw new TypeError('metadataIncludes: give at least one value to look for.');
  return function metadataIncludesCheck(session) {
    return includesAll(lookup(session.identity?.metadata_public, segments), values);
  };
}

/**
 * Passes when any of the checks passes (checks run in order; the first `true` wins).
 *
 * @example
 * requireSession({ check: anyOf(traitEquals('role', 'admin'), traitIncludes('groups', 'support')) });
 */
export function anyOf(...checks: SessionCheck[]): SessionCheck {
  if (checks.length === 0 || checks.some((c) => typeof c !== 'function')) throw new TypeError('anyOf: pass one or more check functions.');
  return async function anyOfCheck(session, req) {
    for (const check of checks) if ((await check(session, req)) === true) return true;
    return false;
  };
}
