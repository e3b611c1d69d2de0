import type { Session } from '@ory/kratos-client-fetch';
import { describeValue } from '../kratos/config';

/** A value taken from the session: a dotted path (`identity.traits.email`) or a function of the session. */
export type SessionValue = string | ((session: Session) => unknown);

const PATH = /^(?:id|active|authenticator_assurance_level|authenticated_at|issued_at|expires_at|tokenized|identity(?:\.[A-Za-z0-9_$-]+)*)$/;

/** Reads a dotted path of the session (own properties only). */
function read(session: Session, path: readonly string[]): unknown {
  let value: unknown = session;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * Compiles a {@link SessionValue}; pushes a problem naming `option` when it is neither a function nor a path
 * under `id`, `identity` (`identity.traits.*`, `identity.metadata_public.*`, ...), `authenticator_assurance_level`,
 * `authenticated_at`, `issued_at`, `expires_at`, `active` or `tokenized`.
 */
export function compileSessionValue(value: unknown, option: string, problems: string[]): (session: Session) => unknown {
  if (typeof value === 'function') return value as (session: Session) => unknown;
  if (typeof value === 'string' && PATH.test(value)) {
    const path = value.split('.');
    return (session) => read(session, path);
  }
  problems.push(
    `${option}: ${describeValue(value)} is not a session field. Use a path such as "identity.id", "identity.traits.email", "identity.metadata_public.role", "id" or "authenticator_assurance_level", or a function (session) => value.`,
  );
  return () => undefined;
}

/**
 * Renders a session value as a header value that cannot inject anything: strings as they are, dates as ISO
 * strings, objects as JSON; then `%`, control characters (CR, LF, ...) and every non-ASCII character are
 * percent-encoded as UTF-8, so `decodeURIComponent` restores the value exactly. `undefined` for missing values.
 *
 * @example
 * headerSafe('José\r\nX-Admin: 1'); // 'Jos%C3%A9%0D%0AX-Admin: 1'
 */
export function headerSafe(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = typeof value === 'string' ? value : value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.replace(/[^\x20-\x24\x26-\x7e]/gu, (char) => {
    try {
      return encodeURIComponent(char);
    } catch {
      return '%EF%BF%BD';
    }
  });
}
