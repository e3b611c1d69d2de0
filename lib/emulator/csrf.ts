import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** `csrf_token_` + hex SHA-256 of serve.public.base_url exactly as configured. */
export const csrfCookieName = (baseUrl: string): string => `csrf_token_${createHash('sha256').update(baseUrl).digest('hex')}`;

/** A fresh raw token: base64 of 32 random bytes (the cookie value). */
export const newCsrfToken = (): string => randomBytes(32).toString('base64');

/** nosurf masking: base64(pad || token XOR pad) with a fresh 32-byte pad. */
export function maskCsrfToken(raw: string): string {
  const token = Buffer.from(raw, 'base64');
  const pad = randomBytes(32);
  const out = Buffer.alloc(64);
  pad.copy(out, 0);
  for (let i = 0; i < 32; i++) out[32 + i] = token[i] ^ pad[i];
  return out.toString('base64');
}

function unmask(value: string): Buffer | undefined {
  const buf = Buffer.from(value, 'base64');
  if (buf.length === 32) return buf;
  if (buf.length !== 64) return undefined;
  const out = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) out[i] = buf[i] ^ buf[32 + i];
  return out;
}

export const isValidCsrfCookie = (value: string | undefined): value is string => value !== undefined && Buffer.from(value, 'base64').length === 32;

/** True when the masked (or raw) `sent` token carries the same 32 bytes as the cookie. */
export function csrfTokensMatch(cookieValue: string | undefined, sent: unknown): boolean {
  if (typeof cookieValue !== 'string' || typeof sent !== 'string' || !sent) return false;
  const a = unmask(cookieValue);
  const b = unmask(sent);
  return a !== undefined && b !== undefined && a.length === 32 && b.length === 32 && timingSafeEqual(a, b);
}
