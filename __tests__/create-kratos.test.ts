import express from 'express';
import request from 'supertest';
import { createKratos } from '../lib';
import { startEmulator, type TestEmulator } from './helpers/emulator';

let kratos: TestEmulator;

beforeAll(async () => {
  kratos = await startEmulator();
});
afterAll(() => kratos.close());

describe('createKratos', () => {
  it('exposes every piece of the kit bound to one configuration', () => {
    const kit = createKratos({ publicUrl: kratos.publicUrl });
    for (const member of ['requireSession', 'optionalSession', 'flowRoutes', 'kratosProxy', 'authGate', 'forwardAuth', 'getLogoutUrl', 'getSession', 'close']) {
      expect(typeof (kit as unknown as Record<string, unknown>)[member]).toBe('function');
    }
    void kit.close();
  });

  it('starts flows at the configured browser URL from kit.flowRoutes()', async () => {
    const kit = createKratos({ publicUrl: kratos.publicUrl, browserUrl: 'http://127.0.0.1:4433' });
    const app = express().use('/auth', kit.flowRoutes({ routes: { registration: false } }));
    try {
      const res = await request(app).get('/auth/login?return_to=%2Fdashboard').set('Accept', 'text/html').expect(303);
      expect(res.headers.location).toMatch(/^http:\/\/127\.0\.0\.1:4433\/self-service\/login\/browser\?return_to=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fdashboard$/);
      await request(app).get('/auth/registration').set('Accept', 'text/html').expect(404);
    } finally {
      await kit.close();
    }
  });

  it('empties the shared session cache when the user signs out through kit.flowRoutes()', async () => {
    const kit = createKratos({ publicUrl: kratos.publicUrl, cache: { ttl: '1h', max: 100 } });
    const identity = await kratos.createIdentity({ traits: { email: 'kit-logout@example.com' }, password: 'a-long-password-1' });
    const { cookie } = await kratos.createSession(identity.id as string);
    const app = express();
    app.use(kit.flowRoutes());
    app.get('/me', kit.requireSession(), (req, res) => res.json({ id: kit.getSession(req)?.identity?.id }));
    try {
      await request(app).get('/me').set('Cookie', cookie).set('Accept', 'application/json').expect(200, { id: identity.id });

      const logout = await request(app).get('/logout').set('Cookie', cookie).set('Accept', 'text/html').expect(303);
      const kratosLogout = new URL(logout.headers.location);
      expect(kratosLogout.origin).toBe(kratos.publicUrl);
      const done = await fetch(kratosLogout, { headers: { cookie, accept: 'text/html' }, redirect: 'manual' });
      expect(done.status).toBe(303);

      await request(app).get('/me').set('Cookie', cookie).set('Accept', 'application/json').expect(401);
    } finally {
      await kit.close();
    }
  });

  it('rejects options it does not know, naming them, when the kit is created', () => {
    expect(() => createKratos({ publicUrl: kratos.publicUrl, cach: { ttl: '1s', max: 1 } } as never)).toThrow(/cach: .*cache/);
  });
});
