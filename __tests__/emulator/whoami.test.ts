import { type KratosEmulator } from '../../lib/emulator';
import { startEmulator } from '../helpers/emulator';
import { call } from './jar';

describe('GET /sessions/whoami', () => {
  let kratos: KratosEmulator;
  let identityId: string;
  beforeAll(async () => {
    kratos = await startEmulator();
    const identity = await kratos.createIdentity({ traits: { email: 'whoami@example.com' }, password: 'a-long-secret-phrase' });
    identityId = identity.id as string;
  });
  afterAll(() => kratos.close());

  it('answers 200 with the session for the session cookie', async () => {
    const { cookie, session } = await kratos.createSession(identityId);
    const res = await call(`${kratos.publicUrl}/sessions/whoami`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('x-kratos-authenticated-identity-id')).toBe(identityId);
    expect(res.headers.get('cache-control')).toBe('private, no-cache, no-store, must-revalidate');
    expect(res.headers.get('vary')).toBe('Cookie');
    expect(res.body.id).toBe(session.id);
    expect(res.body.active).toBe(true);
    expect(res.body.authenticator_assurance_level).toBe('aal1');
    expect(res.body.identity.traits).toEqual({ email: 'whoami@example.com' });
    expect(res.body.identity.credentials).toBeUndefined();
    expect(res.body.identity.metadata_admin).toBeUndefined();
    expect(res.body.identity.organization_id).toBeNull();
  });

  it('accepts X-Session-Token and Authorization: Bearer', async () => {
    const { token, session } = await kratos.createSession(identityId);
    const a = await call(`${kratos.publicUrl}/sessions/whoami`, { headers: { 'x-session-token': token } });
    const b = await call(`${kratos.publicUrl}/sessions/whoami`, { headers: { authorization: `Bearer ${token}` } });
    expect(a.body.id).toBe(session.id);
    expect(b.body.id).toBe(session.id);
  });

  it('answers 401 without an error id when there are no credentials', async () => {
    const res = await call(`${kratos.publicUrl}/sessions/whoami`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.body).toEqual({
      error: { code: 401, status: 'Unauthorized', reason: 'No valid session credentials found in the request.', message: 'The request could not be authorized' },
    });
  });

  it('answers 401 for a malformed cookie, an unknown token and a revoked or expired session', async () => {
    const garbage = await call(`${kratos.publicUrl}/sessions/whoami`, { headers: { cookie: `${kratos.sessionCookieName}=%%%not-base64` } });
    expect(garbage.status).toBe(401);
    const unknown = await call(`${kratos.publicUrl}/sessions/whoami`, { headers: { 'x-session-token': 'ory_st_nope' } });
    expect(unknown.status).toBe(401);
    const revoked = await kratos.createSession(identityId);
    kratos.revokeSession(revoked.session.id as string);
    expect((await call(`${kratos.publicUrl}/sessions/whoami`, { headers: { cookie: revoked.cookie } })).status).toBe(401);
    const expired = await kratos.createSession(identityId);
    kratos.expireSession(expired.session.id as string);
    expect((await call(`${kratos.publicUrl}/sessions/whoami`, { headers: { cookie: expired.cookie } })).status).toBe(401);
  });

  it('answers every HTTP method, including DELETE /sessions/whoami', async () => {
    const { cookie } = await kratos.createSession(identityId);
    expect((await call(`${kratos.publicUrl}/sessions/whoami`, { method: 'POST', headers: { cookie } })).status).toBe(200);
    expect((await call(`${kratos.publicUrl}/sessions/whoami`, { method: 'DELETE', headers: { cookie } })).status).toBe(200);
  });

  it('answers 400 for an unknown tokenize_as template', async () => {
    const { cookie } = await kratos.createSession(identityId);
    const res = await call(`${kratos.publicUrl}/sessions/whoami?tokenize_as=nope`, { headers: { cookie } });
    expect(res.status).toBe(400);
    expect(res.body.error.reason).toBe('Unable to find tokenizer template "nope".');
  });

  it('answers 403 session_aal2_required for an aal1 session of an identity with TOTP', async () => {
    const mfa = await kratos.createIdentity({ traits: { email: 'mfa-whoami@example.com' }, password: 'a-long-secret-phrase', totp: true });
    const aal1 = await kratos.createSession(mfa.id as string);
    const res = await call(`${kratos.publicUrl}/sessions/whoami`, { headers: { cookie: aal1.cookie } });
    expect(res.status).toBe(403);
    expect(res.body.error.id).toBe('session_aal2_required');
    expect(res.body.redirect_browser_to).toBe(`${kratos.baseUrl}self-service/login/browser?aal=aal2`);
    expect(res.body.error.details.redirect_browser_to).toBe(res.body.redirect_browser_to);
    const aal2 = await kratos.createSession(mfa.id as string, { aal: 'aal2' });
    const ok = await call(`${kratos.publicUrl}/sessions/whoami`, { headers: { cookie: aal2.cookie } });
    expect(ok.status).toBe(200);
    expect(ok.body.authenticator_assurance_level).toBe('aal2');
  });

  it('lets an aal1 session of a TOTP identity through when session.whoami.required_aal is aal1', async () => {
    const relaxed = await startEmulator({ overrides: { session: { whoami: { required_aal: 'aal1' } } } });
    try {
      const mfa = await relaxed.createIdentity({ traits: { email: 'relaxed@example.com' }, totp: true });
      const { cookie } = await relaxed.createSession(mfa.id as string);
      expect((await call(`${relaxed.publicUrl}/sessions/whoami`, { headers: { cookie } })).status).toBe(200);
    } finally {
      await relaxed.close();
    }
  });

  it('treats a session of a deactivated identity as no session', async () => {
    const inactive = await kratos.createIdentity({ traits: { email: 'inactive@example.com' }, state: 'inactive' });
    const { cookie } = await kratos.createSession(inactive.id as string);
    expect((await call(`${kratos.publicUrl}/sessions/whoami`, { headers: { cookie } })).status).toBe(401);
  });
});
