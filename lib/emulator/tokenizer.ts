import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type JWK, type KeyLike } from 'jose';
import type { Core } from './core';
import { KratosError } from './errors';
import { readReference, type FileSource } from './config-files';
import type { SessionRecord } from './model';

const SUPPORTED = new Set(['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'EdDSA']);

interface LoadedKey {
  key: KeyLike | Uint8Array;
  alg: string;
  kid?: string;
}

const keyCache = new Map<string, Promise<LoadedKey>>();

async function readKey(jwksUrl: string, files: FileSource): Promise<LoadedKey> {
  const read = readReference(jwksUrl, files);
  if ('error' in read) throw new KratosError(500, { reason: `The tokenizer JWKS ${jwksUrl} ${read.error}.` });
  let jwk: JWK | undefined;
  try {
    jwk = (JSON.parse(read.text) as { keys?: JWK[] }).keys?.[0];
  } catch {
    jwk = undefined;
  }
  if (!jwk) throw new KratosError(500, { reason: `The tokenizer JWKS ${jwksUrl} holds no key.` });
  const alg = jwk.alg ?? (jwk.kty === 'EC' ? 'ES256' : jwk.kty === 'OKP' ? 'EdDSA' : 'RS256');
  if (!SUPPORTED.has(alg)) throw new KratosError(500, { reason: `The tokenizer JWKS ${jwksUrl} uses unsupported alg ${alg}.` });
  try {
    return { key: await importJWK(jwk, alg), alg, kid: jwk.kid };
  } catch (err) {
    throw new KratosError(500, { reason: `The tokenizer JWKS ${jwksUrl} holds no usable private key: ${(err as Error).message}.` });
  }
}

function loadKey(jwksUrl: string, files: FileSource): Promise<LoadedKey> {
  let loaded = keyCache.get(jwksUrl);
  if (!loaded) {
    loaded = readKey(jwksUrl, files);
    keyCache.set(jwksUrl, loaded);
    loaded.catch(() => keyCache.delete(jwksUrl));
  }
  return loaded;
}

/** Signs the session as a JWT with the named `session.whoami.tokenizer.templates` entry. */
export async function tokenize(core: Core, files: FileSource, template: string, session: SessionRecord): Promise<string> {
  const tpl = core.config.session.tokenizerTemplates[template];
  if (!tpl) throw new KratosError(400, { reason: `Unable to find tokenizer template ${JSON.stringify(template)}.` });
  const { key, alg, kid } = await loadKey(tpl.jwksUrl, files);
  const now = Math.floor(core.now() / 1000);
  return new SignJWT({ sid: session.id })
    .setProtectedHeader({ alg, typ: 'JWT', ...(kid ? { kid } : {}) })
    .setJti(randomUUID())
    .setIssuer(core.baseUrl)
    .setSubject(session.identityId)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + Math.round(tpl.ttlMs / 1000))
    .sign(key);
}
