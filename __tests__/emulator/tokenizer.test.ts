import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { type KratosEmulator } from '../../lib/emulator';
import { startEmulator } from '../helpers/emulator';
import { call } from './jar';

describe('whoami tokenize_as', () => {
  let kratos: KratosEmulator;
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', kid: 'test-key' };
  beforeAll(async () => {
    const jwks = Buffer.from(JSON.stringify({ keys: [jwk] })).toString('base64');
    kratos = await startEmulator({ overrides: { session: { whoami: { tokenizer: { templates: { short: { ttl: '5m', jwks_url: `base64://${jwks}` } } } } } } });
  });
  afterAll(() => kratos.close());

  it('adds a signed ES256 JWT with sub, sid, iss and a 5 minute lifetime', async () => {
    const identity = await kratos.createIdentity({ traits: { email: 'jwt@example.com' } });
    const { cookie, session } = await kratos.createSession(identity.id as string);
    const res = await call(`${kratos.publicUrl}/sessions/whoami?tokenize_as=short`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const [h, p, s] = (res.body.tokenized as string).split('.');
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    expect(header).toEqual({ alg: 'ES256', typ: 'JWT', kid: 'test-key' });
    expect(claims).toMatchObject({ sub: identity.id, sid: session.id, iss: kratos.baseUrl });
    expect(claims.exp - claims.iat).toBe(300);
    const publicKey = createPublicKey(privateKey);
    expect(verify('sha256', Buffer.from(`${h}.${p}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))).toBe(true);
  });
});
