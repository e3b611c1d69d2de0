import { type KratosEmulator } from '../../lib/emulator';
import { startEmulator } from '../helpers/emulator';
import { Browser } from './flow-helpers';
import { call } from './jar';

const PASSWORD = 'correct-horse-battery-staple';

describe('logout and errors', () => {
  let kratos: KratosEmulator;
  beforeAll(async () => {
    kratos = await startEmulator();
    await kratos.createIdentity({ traits: { email: 'logout@example.com' }, password: PASSWORD });
  });
  afterAll(() => kratos.close());

  it('creates a logout URL, then logs out with 303, deleting the session cookie and revoking the session', async () => {
    const b = new Browser(kratos);
    await b.login('logout@example.com', PASSWORD);
    const flow = await b.get('/self-service/logout/browser?return_to=http://127.0.0.1:4455/bye', { accept: 'application/json' });
    expect(flow.status).toBe(200);
    expect(flow.body.logout_token).toMatch(/^ory_lo_[A-Za-z0-9]{32}$/);
    expect(flow.body.logout_url).toBe(`${kratos.baseUrl}self-service/logout?return_to=${encodeURIComponent('http://127.0.0.1:4455/bye')}&token=${flow.body.logout_token}`);
    const sessionCookie = `${kratos.sessionCookieName}=${b.jar.get(kratos.sessionCookieName)}`;
    const res = await call(flow.body.logout_url, { jar: b.jar, headers: { accept: 'text/html' } });
    expect(res.status).toBe(303);
    expect(res.location).toBe('http://127.0.0.1:4455/bye');
    expect(res.setCookies.find((c) => c.startsWith(`${kratos.sessionCookieName}=;`))).toMatch(/Max-Age=0/);
    expect((await call(`${kratos.publicUrl}/sessions/whoami`, { headers: { cookie: sessionCookie } })).status).toBe(401);
  });

  it('goes to the logout default return URL without return_to, and answers JSON callers 204', async () => {
    const b = new Browser(kratos);
    await b.login('logout@example.com', PASSWORD);
    const { body } = await b.get('/self-service/logout/browser', { accept: 'application/json' });
    const res = await call(body.logout_url, { jar: b.jar, headers: { accept: 'application/json' } });
    expect(res.status).toBe(204);
    const b2 = new Browser(kratos);
    await b2.login('logout@example.com', PASSWORD);
    const second = await b2.get('/self-service/logout/browser', { accept: 'application/json' });
    const nav = await call(second.body.logout_url, { jar: b2.jar, headers: { accept: 'text/html' } });
    expect(nav.location).toBe(kratos.config.flows.logout.after.defaultBrowserReturnUrl);
  });

  it('refuses logout without a session (401 session_inactive), without token (400) and with a wrong token (403)', async () => {
    const anon = await call(`${kratos.publicUrl}/self-service/logout/browser`, { headers: { accept: 'application/json' } });
    expect(anon.status).toBe(401);
    expect(anon.body.error.id).toBe('session_inactive');
    const b = new Browser(kratos);
    await b.login('logout@example.com', PASSWORD);
    const noToken = await b.get('/self-service/logout', { accept: 'application/json' });
    expect(noToken.status).toBe(400);
    expect(noToken.body.error.reason).toBe('Please include a token in the URL query.');
    const wrong = await b.get('/self-service/logout?token=ory_lo_wrong', { accept: 'application/json' });
    expect(wrong.status).toBe(403);
    expect((await b.whoami()).status).toBe(200);
  });

  it('logs a native session out with DELETE /self-service/logout/api', async () => {
    const identity = await kratos.createIdentity({ traits: { email: 'native@example.com' } });
    const { token } = await kratos.createSession(identity.id as string);
    const res = await call(`${kratos.publicUrl}/self-service/logout/api`, { method: 'DELETE', json: { session_token: token } });
    expect(res.status).toBe(204);
    expect((await call(`${kratos.publicUrl}/sessions/whoami`, { headers: { 'x-session-token': token } })).status).toBe(401);
    expect((await call(`${kratos.publicUrl}/self-service/logout/api`, { method: 'DELETE', json: {} })).status).toBe(400);
  });

  it('serves the stub error and 404 for unknown error ids', async () => {
    const stub = await call(`${kratos.publicUrl}/self-service/errors?id=stub:500`);
    expect(stub.status).toBe(200);
    expect(stub.body.error).toEqual({ code: 500, status: 'Internal Server Error', reason: 'This is a stub error.', message: 'An internal server error occurred, please contact the system administrator' });
    expect(stub.body.created_at).toBe('0001-01-01T00:00:00Z');
    expect((await call(`${kratos.publicUrl}/self-service/errors?id=00000000-0000-4000-8000-000000000000`)).status).toBe(404);
    expect((await call(`${kratos.publicUrl}/self-service/errors?id=garbage`)).status).toBe(404);
  });

  it('lists and revokes the other sessions of the current identity', async () => {
    const b = new Browser(kratos);
    await b.login('logout@example.com', PASSWORD);
    const current = (await b.whoami()).body.id;
    const other = new Browser(kratos);
    await other.login('logout@example.com', PASSWORD);
    const list = await b.get('/sessions', { accept: 'application/json' });
    expect(list.status).toBe(200);
    expect(list.body.map((s: { id: string }) => s.id)).not.toContain(current);
    const own = await call(`${kratos.publicUrl}/sessions/${current}`, { method: 'DELETE', jar: b.jar });
    expect(own.status).toBe(400);
    const revoked = await call(`${kratos.publicUrl}/sessions`, { method: 'DELETE', jar: b.jar });
    expect(revoked.status).toBe(200);
    expect(revoked.body.count).toBeGreaterThanOrEqual(1);
    expect((await other.whoami()).status).toBe(401);
    expect((await call(`${kratos.publicUrl}/sessions`)).status).toBe(401);
  });
});
