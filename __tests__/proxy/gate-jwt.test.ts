import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import request from 'supertest';
import { closeSharedContexts } from '../../lib/context';
import { authGate } from '../../lib/proxy';
import { startEmulator, type TestEmulator } from '../helpers/emulator';
import { startUpstream, type Upstream } from '../helpers/upstream';
import { echoed, listen, signedIn } from './helpers';

let kratos: TestEmulator;
let upstream: Upstream;
let user: Awaited<ReturnType<typeof signedIn>>;
const dir = mkdtempSync(join(tmpdir(), 'gate-jwt-'));

beforeAll(async () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', kid: 'kratos-key' };
  const jwks = Buffer.from(JSON.stringify({ keys: [jwk] })).toString('base64');
  kratos = await startEmulator({
    overrides: { session: { whoami: { tokenizer: { templates: { upstream: { jwks_url: `base64://${jwks}`, ttl: '1m' } } } } } },
  });
  upstream = await startUpstream();
  user = await signedIn(kratos, 'jwt@example.com');
});
afterAll(async () => {
  await closeSharedContexts();
  await upstream.close();
  await kratos.close();
});

async function gateServer(options: Partial<Parameters<typeof authGate>[0]>) {
  const gate = authGate({ publicUrl: kratos.publicUrl, upstream: upstream.url, ...options });
  return Object.assign(await listen(gate), { gate });
}

describe('authGate: signed JWT', () => {
  it('sends an ES256 JWT as Authorization: Bearer that verifies against the JWKS the gate serves', async () => {
    const gate = await gateServer({ jwt: { issuer: 'https://gate.example.com', audience: 'grafana', claims: { email: 'identity.traits.email' } } });
    try {
      const res = await request(gate.server).get('/x').set('Cookie', user.cookie).set('Authorization', 'Bearer forged').expect(200);
      const authorization = String(echoed(res.body).headers.authorization);
      expect(authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
      const token = authorization.slice('Bearer '.length);
      const jwks = createRemoteJWKSet(new URL(`${gate.url}/.well-known/jwks.json`));
      const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: 'https://gate.example.com', audience: 'grafana' });
      expect(protectedHeader.alg).toBe('ES256');
      expect(payload).toMatchObject({ sub: user.id, sid: user.sessionId, email: 'jwt@example.com' });
      expect(payload.exp! - payload.iat!).toBe(300);
    } finally {
      await gate.close();
    }
  });

  it('signs RS256 with a private JWK read from a file, in a header of your choice', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const file = join(dir, 'rsa.jwk.json');
    writeFileSync(file, JSON.stringify(await exportJWK(privateKey)));
    const gate = await gateServer({ jwt: { key: file, header: 'X-Jwt', ttl: '1m' } });
    try {
      const res = await request(gate.server).get('/x').set('Cookie', user.cookie).set('x_jwt', 'forged').expect(200);
      const seen = echoed(res.body);
      const token = String(seen.headers['x-jwt']);
      const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: decodeProtectedHeader(token).kid }] }));
      expect(payload.sub).toBe(user.id);
      expect(payload.exp! - payload.iat!).toBe(60);
      expect(seen.headers.x_jwt).toBeUndefined();
      const jwks = await request(gate.server).get('/.well-known/jwks.json').expect(200);
      expect(jwks.body.keys).toHaveLength(1);
      expect(jwks.body.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
      expect(jwks.body.keys[0].d).toBeUndefined();
    } finally {
      await gate.close();
    }
  });

  it("forwards Kratos' own tokenize_as JWT when configured", async () => {
    const gate = await gateServer({ jwt: { tokenizeAs: 'upstream' } });
    try {
      const res = await request(gate.server).get('/x').set('Cookie', user.cookie).expect(200);
      const token = String(echoed(res.body).headers.authorization).slice('Bearer '.length);
      expect(decodeProtectedHeader(token).kid).toBe('kratos-key');
      expect(decodeJwt(token)).toMatchObject({ sub: user.id, sid: user.sessionId, iss: kratos.baseUrl });
    } finally {
      await gate.close();
    }
  });

  it('answers 502, forwarding nothing, when Kratos refuses the tokenizer template', async () => {
    const gate = await gateServer({ jwt: { tokenizeAs: 'missing' } });
    const before = upstream.requests.length;
    try {
      await request(gate.server).get('/x').set('Cookie', user.cookie).set('Accept', 'application/json').expect(502);
      expect(upstream.requests.length).toBe(before);
    } finally {
      await gate.close();
    }
  });
});
