import { type KratosEmulator } from '../../lib/emulator';
import { startEmulator } from '../helpers/emulator';
import { call } from './jar';

describe('admin API', () => {
  let kratos: KratosEmulator;
  beforeAll(async () => {
    kratos = await startEmulator();
  });
  afterAll(() => kratos.close());

  const create = (email: string, password?: string) =>
    call(`${kratos.adminUrl}/admin/identities`, {
      json: { schema_id: 'default', traits: { email, name: { first: 'Ada' } }, ...(password ? { credentials: { password: { config: { password } } } } : {}) },
    });

  it('creates an identity with a password credential and renders credentials without config', async () => {
    const res = await create('Admin.Create@Example.com', 'a-long-secret-phrase');
    expect(res.status).toBe(201);
    expect(res.body.schema_id).toBe('default');
    expect(res.body.schema_url).toBe(`${kratos.baseUrl}schemas/ZGVmYXVsdA`);
    expect(res.body.state).toBe('active');
    expect(res.body.credentials.password.identifiers).toEqual(['admin.create@example.com']);
    expect(res.body.credentials.password.config).toBeUndefined();
    expect(res.body.metadata_admin).toBeNull();
    expect(res.body.verifiable_addresses).toEqual([
      expect.objectContaining({ value: 'admin.create@example.com', verified: false, via: 'email', status: 'pending' }),
    ]);
    expect(res.body.verifiable_addresses[0].verified_at).toBeUndefined();
    expect(res.body.recovery_addresses).toEqual([expect.objectContaining({ value: 'admin.create@example.com', via: 'email' })]);
  });

  it('rejects traits that violate the identity schema with 400', async () => {
    const res = await call(`${kratos.adminUrl}/admin/identities`, { json: { schema_id: 'default', traits: { email: 'not-an-email' } } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(400);
    const missing = await call(`${kratos.adminUrl}/admin/identities`, { json: { schema_id: 'default', traits: {} } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.reason).toContain('Property email is missing.');
  });

  it('answers 409 for a duplicate identifier', async () => {
    await create('dup@example.com', 'a-long-secret-phrase');
    const res = await create('DUP@example.com', 'another-long-phrase');
    expect(res.status).toBe(409);
  });

  it('answers 400 for a malformed JSON body and an unknown schema', async () => {
    const bad = await call(`${kratos.adminUrl}/admin/identities`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"traits":' });
    expect(bad.status).toBe(400);
    const schema = await call(`${kratos.adminUrl}/admin/identities`, { json: { schema_id: 'nope', traits: { email: 'x@example.com' } } });
    expect(schema.status).toBe(400);
  });

  it('gets, lists, filters and deletes identities', async () => {
    const created = await create('list@example.com');
    const id = created.body.id;
    expect((await call(`${kratos.adminUrl}/admin/identities/${id}`)).body.id).toBe(id);
    const list = await call(`${kratos.adminUrl}/admin/identities?page_size=1`);
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(1);
    expect(list.headers.get('link')).toContain('rel="next"');
    const filtered = await call(`${kratos.adminUrl}/admin/identities?credentials_identifier=dup@example.com`);
    expect(filtered.body.map((i: { traits: { email: string } }) => i.traits.email)).toEqual(['dup@example.com']);
    expect((await call(`${kratos.adminUrl}/admin/identities/${id}`, { method: 'DELETE' })).status).toBe(204);
    const gone = await call(`${kratos.adminUrl}/admin/identities/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ error: { code: 404, status: 'Not Found', message: 'Unable to locate the resource' } });
  });

  it('lists, gets and revokes the sessions of an identity', async () => {
    const identity = await kratos.createIdentity({ traits: { email: 'sessions@example.com' } });
    const one = await kratos.createSession(identity.id as string);
    await kratos.createSession(identity.id as string);
    const list = await call(`${kratos.adminUrl}/admin/identities/${identity.id}/sessions`);
    expect(list.body).toHaveLength(2);
    const single = await call(`${kratos.adminUrl}/admin/sessions/${one.session.id}`);
    expect(single.body.identity.credentials).toEqual({});
    expect((await call(`${kratos.adminUrl}/admin/identities/${identity.id}/sessions`, { method: 'DELETE' })).status).toBe(204);
    const whoami = await call(`${kratos.publicUrl}/sessions/whoami`, { headers: { cookie: one.cookie } });
    expect(whoami.status).toBe(401);
    expect((await call(`${kratos.adminUrl}/admin/sessions/${one.session.id}`)).body.active).toBe(false);
    expect((await call(`${kratos.adminUrl}/admin/identities/00000000-0000-4000-8000-000000000000/sessions`)).status).toBe(404);
  });

  it('serves health, version and schemas on both ports, and 404 text for unknown paths', async () => {
    for (const base of [kratos.publicUrl, kratos.adminUrl]) {
      expect((await call(`${base}/health/alive`)).body).toEqual({ status: 'ok' });
      expect((await call(`${base}/health/ready`)).body).toEqual({ status: 'ok' });
    }
    const schemas = await call(`${kratos.publicUrl}/schemas`);
    expect(schemas.body[0].id).toBe('default');
    const schema = await call(`${kratos.publicUrl}/schemas/ZGVmYXVsdA`);
    expect(schema.body.title).toBe('Person');
    const missing = await call(`${kratos.publicUrl}/does/not/exist`);
    expect(missing.status).toBe(404);
    expect(missing.text).toBe('404 page not found\n');
  });
});
