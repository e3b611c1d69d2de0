import { Secret, TOTP } from 'otpauth';
import { randomAlnum } from './util';

/** A fresh TOTP secret (20 random bytes, base32) as authenticator apps expect. */
export const newTotpSecret = (): string => new Secret({ size: 20 }).base32;

export function totpFor(secret: string, issuer: string, account: string): TOTP {
  return new TOTP({ issuer, label: account, secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
}

export const totpCodeAt = (secret: string, timestamp: number): string => totpFor(secret, 'x', 'x').generate({ timestamp });

/** Accepts the code of the current period and one either side, like pquerna/otp's default skew. */
export function totpValid(secret: string, code: unknown, timestamp: number): boolean {
  if (typeof code !== 'string' || !/^[0-9]{6}$/.test(code.trim())) return false;
  return totpFor(secret, 'x', 'x').validate({ token: code.trim(), timestamp, window: 1 }) !== null;
}

/** Twelve 8-character backup codes, as Kratos' lookup_secret strategy generates them. */
export const newLookupCodes = (): string[] => Array.from({ length: 12 }, () => randomAlnum(8).toLowerCase());
