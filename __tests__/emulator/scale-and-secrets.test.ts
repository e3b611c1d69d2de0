import { inspect } from 'node:util';
import { type KratosEmulator } from '../../lib/emulator';
import { startEmulator } from '../helpers/emulator';
import { Browser } from './flow-helpers';
import { call } from './jar';

describe('state at scale and secrets at rest', () => {
  let kratos: KratosEmulator;
  beforeAll(async () => {
    kratos = await startEmulator();
  });
  afterAll(() => kratos.close());

  it('keeps answering whoami with 5,000 identities and sessions in memory', async () => {
    const tokens: string[] = [];
    let lastId = '';
    for (let i = 0; i < 5000; i++) {
      const identity = await kratos.createIdentity({ traits: { email: `user${i}@scale.example.com` } });
      lastId = identity.id as string;
      if (i % 1000 === 0) tokens.push((await kratos.createSession(identity.id as string)).token);
      else await kratos.createSession(identity.id as string);
    }
    for (const token of tokens) {
      const res = await call(`${kratos.publicUrl}/sessions/whoami`, { headers: { 'x-session-token': token } });
      expect(res.status).toBe(200);
    }
    const last = await call(`${kratos.adminUrl}/admin/identities/${lastId}`);
    expect(last.body.traits.email).toBe('user4999@scale.example.com');
    const page = await call(`${kratos.adminUrl}/admin/identities?page_size=1000&page_token=4`);
    expect(page.body).toHaveLength(1000);
    expect(page.headers.get('x-total-count')).toBe('5000');
  }, 60_000);

  it('stores passwords only as salted scrypt hashes: no clear text anywhere in the emulator state', async () => {
    const secret = 'Unmistakable-Clear-Text-Passphrase-42';
    await kratos.createIdentity({ traits: { email: 'hash-a@example.com' }, password: secret });
    const b = new Browser(kratos);
    const flow = await b.startFlow('registration');
    const step = await b.submitJson(flow, { method: 'profile', traits: { email: 'hash-b@example.com' } });
    await b.submitJson(step.body, { method: 'password', password: secret, traits: { email: 'hash-b@example.com' } });
    await new Browser(kratos).login('hash-a@example.com', secret);

    const state = (kratos as unknown as Record<symbol, unknown>)[Symbol.for('kratos-express.emulator.state')];
    expect(state).toBeDefined();
    const dump = inspect(state, { depth: Infinity, getters: true, showHidden: true, maxArrayLength: Infinity, maxStringLength: Infinity });
    const admin = await call(`${kratos.adminUrl}/admin/identities?credentials_identifier=hash-a@example.com`);
    const full = await call(`${kratos.adminUrl}/admin/identities/${admin.body[0].id}?include_credential=password`);
    const hash = full.body.credentials.password.config.hashed_password as string;
    expect(hash).toMatch(/^\$scrypt\$ln=\d+,r=8,p=1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    const other = await call(`${kratos.adminUrl}/admin/identities?credentials_identifier=hash-b@example.com`);
    const otherHash = (await call(`${kratos.adminUrl}/admin/identities/${other.body[0].id}?include_credential=password`)).body.credentials.password.config.hashed_password;
    expect(otherHash).not.toBe(hash);
    expect(dump).toContain('hash-b@example.com');
    expect(dump).toContain(hash);
    expect(dump).not.toContain(secret);
    expect(JSON.stringify(full.body)).not.toContain(secret);
  });
});
