import { createPrivateKey, randomUUID, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { Core } from './core';
import { KratosError } from './errors';
import { readReference, type FileSource } from './config-files';
import type { SessionRecord } from './model';

// jose is ESM-only and cannot be required by every test runner; JWS compact signing needs only node:crypto.
const ALGS: Record<string, { hash: string | null; ecdsa?: boolean }> = {
  ES256: { hash: 'sha256', ecdsa: true },
  ES384: { hash: 'sha384', ecdsa: true },
  ES512: { hash: 'sha512', ecdsa: true },
  RS256: { hash: 'sha256' },
  RS384: { hash: 'sha384' },
  RS512: { hash: 'sha512' },
  EdDSA: { hash: null },
};

interface LoadedKey {
  key: KeyObject;
  alg: string;
  kid?: string;
}

const keyCache = new Map<string, LoadedKey>();

function loadKey(jwksUrl: string, files: FileSource): LoadedKey {
  const cached = keyCache.get(jwksUrl);
  if (cached) return cached;
  const read = readReference(jwksUrl, files);
  if ('error' in read) throw new KratosError(500, { reason: `The tokenizer JWKS ${jwksUrl} ${read.error}.` });
  let jwk: (JsonWebKey & { alg?: string; kid?: string }) | undefined;
  try {
    jwk = (JSON.parse(read.text) as { keys?: (JsonWebKey & { alg?: string; kid?: string })[] }).keys?.[0];
  } catch {
    jwk = undefined;
  }
  if (!jwk) throw new KratosError(500, { reason: `The tokenizer JWKS ${jwksUrl} holds no key.` });
  const alg = jwk.alg ?? (jwk.kty === 'EC' ? 'ES256' : jwk.kty === 'OKP' ? 'EdDSA' : 'RS256');
  if (!ALGS[alg]) throw new KratosError(500, { reason: `The tokenizer JWKS ${jwksUrl} uses unsupported alg ${alg}.` });
  const loaded = { key: createPrivateKey({ key: jwk, format: 'jwk' }), alg, kid: jwk.kid };
  keyCache.set(jwksUrl, loaded);
  return loaded;
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Signs the session as a JWT with the named `session.whoami.tokenizer.templates` entry. */
export function tokenize(core: Core, files: FileSource, template: string, session: SessionRecord): string {
  const tpl = core.config.session.tokenizerTemplates[template];
  if (!tpl) throw new KratosError(400, { reason: `Unable to find tokenizer template ${JSON.stringify(template)}.` });
  const { key, alg, kid } = loadKey(tpl.jwksUrl, files);
  const now = Math.floor(core.now() / 1000);
  const header = { alg, typ: 'JWT', ...(kid ? { kid } : {}) };
  const claims = { jti: randomUUID(), iss: core.baseUrl, sub: session.identityId, sid: session.id, iat: now, nbf: now, exp: now + Math.round(tpl.ttlMs / 1000) };
  const input = `${b64(header)}.${b64(claims)}`;
  const spec = ALGS[alg];
  const signature = sign(spec.hash, Buffer.from(input), spec.ecdsa ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${input}.${signature.toString('base64url')}`;
}
