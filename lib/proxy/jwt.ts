import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Session } from '@ory/kratos-client-fetch';
import { calculateJwkThumbprint, SignJWT, type JWK } from 'jose';
import { describeValue, unknownOptionProblems } from '../kratos/config';
import { parseDuration } from '../kratos/duration';
import { headerNameProblem } from './identity-headers';
import { compileSessionValue, type SessionValue } from './session-values';

/** Signed identity token for the upstream (`jwt` option of the gate and forward-auth). */
export interface GateJwtOptions {
  /** Header carrying the token. `Authorization` (default) sends `Bearer <jwt>`, any other name the bare token. */
  header?: string;
  /** `ES256` (default) or `RS256`. With `key`, the key decides and this must agree. */
  algorithm?: 'ES256' | 'RS256';
  /** Path of a file holding the private key as a JWK (or a JWKS whose first private key is used). Default: a key generated at start. */
  key?: string;
  /** Lifetime of a token, in ms or as `'5m'`. Default 5 minutes. */
  ttl?: number | string;
  issuer?: string;
  audience?: string | string[];
  /** Extra claims, each a session field (`'identity.traits.email'`) or a function of the session. */
  claims?: Record<string, SessionValue>;
  /** Path the gate serves the public JWKS at, or `false`. Default `/.well-known/jwks.json`. */
  jwksPath?: string | false;
  /** Forward the JWT Kratos signs with this `session.whoami.tokenizer.templates` entry instead of signing one. */
  tokenizeAs?: string;
}

export const JWT_OPTION_NAMES = ['header', 'algorithm', 'key', 'ttl', 'issuer', 'audience', 'claims', 'jwksPath', 'tokenizeAs'] as const;
const REGISTERED = new Set(['sub', 'sid', 'iat', 'exp', 'nbf', 'iss', 'aud', 'jti']);

/** A compiled `jwt` option: how to obtain the token of a session and the JWKS to publish. */
export interface GateJwt {
  readonly header: string;
  readonly bearer: boolean;
  readonly tokenizeAs?: string;
  readonly jwksPath?: string;
  /** Resolves once the JWKS is complete (its `kid` is computed). */
  readonly ready: Promise<void>;
  /** `{ keys: [public JWK] }` (empty in `tokenizeAs` mode). */
  readonly jwks: { keys: JsonWebKey[] };
  /** The token for a session; equal sessions (the same cached object) reuse their token while it is fresh. */
  token(session: Session): Promise<string | undefined>;
  /** Header value: `Bearer <jwt>` or the bare token. */
  headerValue(token: string): string;
}


function algorithmOf(jwk: JsonWebKey & { alg?: string }): 'ES256' | 'RS256' | undefined {
  if (jwk.kty === 'EC' && jwk.crv === 'P-256' && (jwk.alg === undefined || jwk.alg === 'ES256')) return 'ES256';
  if (jwk.kty === 'RSA' && (jwk.alg === undefined || jwk.alg === 'RS256')) return 'RS256';
  return undefined;
}

function loadKey(path: string, problems: string[]): { key: KeyObject; alg: 'ES256' | 'RS256' } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    problems.push(`jwt.key: ${describeValue(path)} cannot be read as JSON (${(err as Error).message}). Point it at a file holding a private JWK, for example one exported with jose's exportJWK(privateKey).`);
    return undefined;
  }
  const keys = (parsed as { keys?: unknown })?.keys;
  const candidates = (Array.isArray(keys) ? keys : [parsed]) as Array<JsonWebKey & { alg?: string }>;
  const jwk = candidates.find((k) => k && typeof k === 'object' && typeof k.d === 'string');
  if (!jwk) {
    problems.push(`jwt.key: ${describeValue(path)} holds no private key (no "d" member). The gate signs tokens, so it needs the private JWK; publish only the public part.`);
    return undefined;
  }
  const alg = algorithmOf(jwk);
  if (!alg) {
    problems.push(`jwt.key: ${describeValue(path)} is a ${describeValue(jwk.kty)} key with alg ${describeValue(jwk.alg)}. Use an EC P-256 key (ES256) or an RSA key (RS256).`);
    return undefined;
  }
  try {
    return { key: createPrivateKey({ key: jwk, format: 'jwk' }), alg };
  } catch (err) {
    problems.push(`jwt.key: ${describeValue(path)} is not a valid private JWK (${(err as Error).message}).`);
    return undefined;
  }
}

/** Validates and precomputes the `jwt` option (key loaded or generated now). */
export function compileJwt(options: unknown, problems: string[]): GateJwt | undefined {
  if (options === undefined || options === false) return undefined;
  if (options === true) options = {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    problems.push(`jwt: ${describeValue(options)} is not valid. Use true, false or an object such as { header: 'Authorization', ttl: '5m', claims: { email: 'identity.traits.email' } }.`);
    return undefined;
  }
  const o = options as GateJwtOptions;
  problems.push(...unknownOptionProblems(o, JWT_OPTION_NAMES).map((p) => `jwt.${p}`));
  const header = o.header ?? 'Authorization';
  const headerProblem = typeof header === 'string' ? headerNameProblem(header) : 'is not a string';
  if (headerProblem) problems.push(`jwt.header: ${describeValue(header)} ${headerProblem}.`);
  const bearer = typeof header === 'string' && header.toLowerCase() === 'authorization';
  let jwksPath: string | undefined = '/.well-known/jwks.json';
  if (o.jwksPath === false) jwksPath = undefined;
  else if (o.jwksPath !== undefined) {
    if (typeof o.jwksPath === 'string' && /^\/[A-Za-z0-9\-._~/]*$/.test(o.jwksPath)) jwksPath = o.jwksPath;
    else problems.push(`jwt.jwksPath: ${describeValue(o.jwksPath)} is not a path. Use for example '/.well-known/jwks.json', or false.`);
  }
  const headerValue = (token: string) => (bearer ? `Bearer ${token}` : token);

  if (o.tokenizeAs !== undefined) {
    if (typeof o.tokenizeAs !== 'string' || !/^[\w.-]{1,128}$/.test(o.tokenizeAs)) {
      problems.push(`jwt.tokenizeAs: ${describeValue(o.tokenizeAs)} is not a template name. Use the name of a session.whoami.tokenizer.templates entry of your kratos.yml.`);
    }
    for (const name of ['key', 'algorithm', 'ttl', 'issuer', 'audience', 'claims'] as const) {
      if (o[name] !== undefined) problems.push(`jwt.${name}: cannot be combined with jwt.tokenizeAs: Kratos signs that token with its own template. Remove one of them.`);
    }
    return { header, bearer, tokenizeAs: o.tokenizeAs, ready: Promise.resolve(), jwks: { keys: [] }, token: async (session) => session.tokenized, headerValue };
  }

  if (o.algorithm !== undefined && o.algorithm !== 'ES256' && o.algorithm !== 'RS256') {
    problems.push(`jwt.algorithm: ${describeValue(o.algorithm)} is not supported. Use 'ES256' (default) or 'RS256'.`);
  }
  const ttlMs = o.ttl === undefined ? 300_000 : parseDuration(o.ttl);
  if (ttlMs === undefined || ttlMs < 1000) problems.push(`jwt.ttl: ${describeValue(o.ttl)} is not a valid lifetime. Use at least one second, e.g. '5m' or 300000.`);
  if (o.issuer !== undefined && (typeof o.issuer !== 'string' || o.issuer === '')) problems.push(`jwt.issuer: ${describeValue(o.issuer)} is not a non-empty string.`);
  const audienceOk = o.audience === undefined || (typeof o.audience === 'string' && o.audience !== '') || (Array.isArray(o.audience) && o.audience.every((a) => typeof a === 'string' && a !== ''));
  if (!audienceOk) problems.push(`jwt.audience: ${describeValue(o.audience)} is not a string or a list of strings.`);
  const claims: Array<[string, (session: Session) => unknown]> = [];
  if (o.claims !== undefined) {
    if (o.claims === null || typeof o.claims !== 'object' || Array.isArray(o.claims)) {
      problems.push(`jwt.claims: ${describeValue(o.claims)} is not an object. Use for example { email: 'identity.traits.email' }.`);
    } else {
      for (const [name, value] of Object.entries(o.claims)) {
        if (REGISTERED.has(name)) problems.push(`jwt.claims.${name}: is set by the gate itself (sub, sid, iat, exp, nbf, iss, aud, jti). Choose another claim name.`);
        else claims.push([name, compileSessionValue(value, `jwt.claims.${name}`, problems)]);
      }
    }
  }

  let key: KeyObject | undefined;
  let alg: 'ES256' | 'RS256' = o.algorithm === 'RS256' ? 'RS256' : 'ES256';
  if (o.key !== undefined) {
    if (typeof o.key !== 'string' || o.key === '') problems.push(`jwt.key: ${describeValue(o.key)} is not a file path. Point it at a file holding a private JWK.`);
    else {
      const loaded = loadKey(o.key, problems);
      if (loaded && o.algorithm !== undefined && o.algorithm !== loaded.alg) {
        problems.push(`jwt.algorithm: ${describeValue(o.algorithm)} does not match the ${loaded.alg} key in ${describeValue(o.key)}. Remove jwt.algorithm or use a matching key.`);
      }
      if (loaded) ({ key, alg } = loaded);
    }
  } else if (problems.length === 0) {
    key = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey : generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  }
  if (!key || ttlMs === undefined) return undefined;

  const publicJwk = createPublicKey(key).export({ format: 'jwk' });
  const kid = calculateJwkThumbprint(publicJwk as JWK);
  const signingKey = key;
  const ttl = Math.round(ttlMs / 1000);
  const signed = new WeakMap<Session, { token: Promise<string>; exp: number }>();
  const jwks = { keys: [{ ...publicJwk, alg, use: 'sig' } as JsonWebKey & { kid?: string }] };
  const ready = kid.then((value) => {
    jwks.keys[0].kid = value;
  });

  return {
    header,
    bearer,
    jwksPath,
    ready,
    jwks,
    headerValue,
    token(session) {
      const now = Math.floor(Date.now() / 1000);
      const cached = signed.get(session);
      if (cached && cached.exp - now > ttl / 2) return cached.token;
      const payload: Record<string, unknown> = {};
      for (const [name, get] of claims) {
        const value = get(session);
        if (value !== undefined) payload[name] = value instanceof Date ? value.toISOString() : value;
      }
      const exp = now + ttl;
      const jwt = new SignJWT({ ...payload, sid: session.id }).setIssuedAt(now).setExpirationTime(exp);
      if (session.identity?.id) jwt.setSubject(session.identity.id);
      if (o.issuer) jwt.setIssuer(o.issuer);
      if (o.audience) jwt.setAudience(o.audience);
      const token = kid.then((value) => jwt.setProtectedHeader({ alg, typ: 'JWT', kid: value }).sign(signingKey));
      signed.set(session, { token, exp });
      token.catch(() => signed.delete(session));
      return token;
    },
  };
}
