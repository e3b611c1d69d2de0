import express from 'express';
import request from 'supertest';
import { closeSharedContexts } from '../../lib/context';
import { forwardAuth } from '../../lib/proxy';
import { startEmulator, type TestEmulator } from '../helpers/emulator';
import { startFaultyKratos } from '../helpers/faulty-kratos';
import { BROWSER, listen, signedIn } from './helpers';

let kratos: TestEmulator;
let user: Awaited<ReturnType<typeof signedIn>>;

const rules = [
  { path: '/public/**', access: 'public' as const },
  { path: '/admin', methods: ['GET'], check: () => true },
  { path: '/readonly', methods: ['GET'] },
  { path: '/app' },
];

beforeAll(async () => {
  kratos = await startEmulator();
  user = await signedIn(kratos, 'fwd@example.com');
});
afterAll(async () => {
  await closeSharedContexts();
  await kratos.close();
});

function app(options: Partial<Parameters<typeof forwardAuth>[0]> = {}) {
  const server = express();
  server.use('/auth', forwardAuth({ publicUrl: kratos.publicUrl, rules, ...options }));
  return server;
}

describe('forwardAuth: nginx auth_request (X-Original-URI / X-Original-Method)', () => {
  it('allows with 200 and the identity headers', async () => {
    const res = await request(app()).get('/auth').set('X-Original-URI', '/app/page?x=1').set('X-Original-Method', 'POST').set('Cookie', user.cookie).expect(200);
    expect(res.headers['x-user-id']).toBe(user.id);
    expect(res.headers['x-user-email']).toBe('fwd@example.com');
    expect(res.headers['x-session-id']).toBe(user.sessionId);
    expect(res.text).toBe('');
  });

  it('denies without a session with 401, even for browsers with redirectBrowsers (nginx cannot follow a 302)', async () => {
    const res = await request(app({ redirectBrowsers: true })).get('/auth').set('X-Original-URI', '/app').set('Accept', BROWSER).expect(401);
    expect(res.body.error.code).toBe(401);
  });

  it('decides on the original method: a GET-only rule refuses the original POST with 403', async () => {
    await request(app()).get('/auth').set('X-Original-URI', '/readonly').set('X-Original-Method', 'GET').set('Cookie', user.cookie).expect(200);
    await request(app()).get('/auth').set('X-Original-URI', '/readonly').set('X-Original-Method', 'POST').set('Cookie', user.cookie).expect(403);
  });

  it('allows public paths with empty identity headers so the gateway overwrites forged ones', async () => {
    const res = await request(app()).get('/auth').set('X-Original-URI', '/public/a.css').expect(200);
    expect(res.headers['x-user-id']).toBe('');
    expect(res.headers['x-user-email']).toBe('');
  });

  it('refuses an original URI with dot segments with 400', async () => {
    await request(app()).get('/auth').set('X-Original-URI', '/public/../app').expect(400);
  });
});

describe('forwardAuth: Traefik ForwardAuth and Caddy forward_auth (X-Forwarded-*)', () => {
  const forwarded = (req: request.Test) =>
    req.set('X-Forwarded-Method', 'GET').set('X-Forwarded-Proto', 'https').set('X-Forwarded-Host', 'app.example.com').set('X-Forwarded-Uri', '/app/dash?tab=1');

  it('allows with 200 and identity headers', async () => {
    const res = await forwarded(request(app()).get('/auth').set('Cookie', user.cookie)).expect(200);
    expect(res.headers['x-user-id']).toBe(user.id);
  });

  it('redirects a browser without a session to login with the original URL as return_to when redirectBrowsers is set', async () => {
    const res = await forwarded(request(app({ redirectBrowsers: true, allowedReturnUrls: ['https://app.example.com'] })).get('/auth').set('Accept', BROWSER)).expect(302);
    const location = new URL(res.headers.location);
    expect(location.origin + location.pathname).toBe(`${kratos.publicUrl}/self-service/login/browser`);
    expect(location.searchParams.get('return_to')).toBe('https://app.example.com/app/dash?tab=1');
  });

  it('answers API callers 401 JSON, and browsers too without redirectBrowsers', async () => {
    await forwarded(request(app({ redirectBrowsers: true })).get('/auth').set('Accept', 'application/json')).expect(401);
    await forwarded(request(app()).get('/auth').set('Accept', BROWSER)).expect(401);
  });

  it('ignores X-Forwarded-* from peers outside trustedProxies', async () => {
    const res = await request(app({ trustedProxies: ['10.0.0.0/8'] }))
      .get('/auth/public/x')
      .set('X-Forwarded-Uri', '/app/secret')
      .set('X-Original-URI', '/app/secret')
      .expect(200);
    expect(res.headers['x-user-id']).toBe('');
  });

  it('answers the JWT header too when jwt is configured, and serves its JWKS', async () => {
    const server = app({ jwt: { header: 'X-Id-Token' } });
    const res = await forwarded(request(server).get('/auth').set('Cookie', user.cookie)).expect(200);
    expect(String(res.headers['x-id-token']).split('.')).toHaveLength(3);
    const jwks = await request(server).get('/auth/.well-known/jwks.json').expect(200);
    expect(jwks.body.keys[0]).toMatchObject({ kty: 'EC', alg: 'ES256' });
  });
});

describe('forwardAuth: Envoy ext_authz (the request itself is the original)', () => {
  it('allows with exactly 200, deciding on its own method and path under the mount', async () => {
    const res = await request(app()).post('/auth/app/items').set('Cookie', user.cookie).expect(200);
    expect(res.headers['x-user-id']).toBe(user.id);
    await request(app()).delete('/auth/admin').set('Cookie', user.cookie).expect(403);
    await request(app()).get('/auth/elsewhere').set('Cookie', user.cookie).expect(403);
    await request(app()).get('/auth/app').expect(401);
  });

  it('works on a plain http server', async () => {
    const served = await listen(forwardAuth({ publicUrl: kratos.publicUrl }));
    try {
      const res = await request(served.server).get('/anything').set('Cookie', user.cookie).expect(200);
      expect(res.headers['x-user-id']).toBe(user.id);
      await request(served.server).get('/anything').expect(401);
    } finally {
      await served.close();
    }
  });
});

describe('forwardAuth: Kratos failures', () => {
  it('never allows when Kratos is down: 502', async () => {
    const faulty = await startFaultyKratos('refuse');
    const served = await listen(forwardAuth({ publicUrl: faulty.url }));
    try {
      await request(served.server).get('/x').set('Cookie', user.cookie).set('X-Original-URI', '/app').expect(502);
    } finally {
      await served.close();
    }
  });

  it('never allows when Kratos answers 5xx: 503', async () => {
    const faulty = await startFaultyKratos('status503');
    const served = await listen(forwardAuth({ publicUrl: faulty.url }));
    try {
      await request(served.server).get('/x').set('Cookie', user.cookie).expect(503);
    } finally {
      await served.close();
      await faulty.close();
    }
  });
});
