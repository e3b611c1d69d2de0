import request from 'supertest';
import { closeSharedContexts } from '../../lib/context';
import { authGate } from '../../lib/proxy';
import { startEmulator, type TestEmulator } from '../helpers/emulator';
import { startFaultyKratos } from '../helpers/faulty-kratos';
import { startUpstream, type Upstream } from '../helpers/upstream';
import { BROWSER, echoed, hasHeader, listen, signedIn, whoamiCalls } from './helpers';

let kratos: TestEmulator;
let upstream: Upstream;
let user: Awaited<ReturnType<typeof signedIn>>;

beforeAll(async () => {
  kratos = await startEmulator();
  upstream = await startUpstream();
  user = await signedIn(kratos, 'gate@example.com', { metadataPublic: { name: 'José\r\nX-Admin: 1', role: 'editor' } });
});
afterAll(async () => {
  await closeSharedContexts();
  await upstream.close();
  await kratos.close();
});

async function gateServer(options: Partial<Parameters<typeof authGate>[0]> = {}) {
  const gate = authGate({ publicUrl: kratos.publicUrl, upstream: upstream.url, ...options });
  const served = await listen(gate);
  gate.attach(served.server);
  return Object.assign(served, { gate });
}

describe('authGate: sessions', () => {
  it('forwards a request with a session and adds the trusted identity headers', async () => {
    const gate = await gateServer();
    try {
      const res = await request(gate.server).get('/dashboard?x=1').set('Cookie', user.cookie).expect(200);
      const seen = echoed(res.body);
      expect(seen.url).toBe('/dashboard?x=1');
      expect(seen.headers['x-user-id']).toBe(user.id);
      expect(seen.headers['x-user-email']).toBe('gate@example.com');
      expect(seen.headers['x-session-id']).toBe(user.sessionId);
      expect(seen.headers['x-user-aal']).toBe('aal1');
      expect(seen.headers['x-forwarded-host']).toBe(new URL(gate.url).host);
      expect(seen.headers['x-forwarded-proto']).toBe('http');
      expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    } finally {
      await gate.close();
    }
  });

  it('accepts a session token as Authorization: Bearer or X-Session-Token', async () => {
    const gate = await gateServer();
    try {
      const a = await request(gate.server).get('/api').set('Authorization', `Bearer ${user.token}`).expect(200);
      expect(echoed(a.body).headers['x-user-id']).toBe(user.id);
      const b = await request(gate.server).get('/api').set('X-Session-Token', user.token).expect(200);
      expect(echoed(b.body).headers['x-user-id']).toBe(user.id);
    } finally {
      await gate.close();
    }
  });

  it('redirects a browser without a session to login with return_to', async () => {
    const gate = await gateServer();
    const before = upstream.requests.length;
    try {
      const res = await request(gate.server).get('/dashboard?tab=2').set('Accept', BROWSER).expect(303);
      const location = new URL(res.headers.location);
      expect(location.origin + location.pathname).toBe(`${kratos.publicUrl}/self-service/login/browser`);
      expect(location.searchParams.get('return_to')).toBe(`${gate.url}/dashboard?tab=2`);
      expect(upstream.requests.length).toBe(before);
    } finally {
      await gate.close();
    }
  });

  it('answers an API caller without a session with 401 JSON', async () => {
    const gate = await gateServer();
    try {
      const res = await request(gate.server).get('/api/items').set('Accept', 'application/json').expect(401);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body.error).toMatchObject({ code: 401, id: 'session_inactive' });
    } finally {
      await gate.close();
    }
  });

  it('treats a revoked session as no session', async () => {
    const other = await signedIn(kratos, 'revoked@example.com');
    kratos.revokeSession(other.sessionId);
    const gate = await gateServer();
    try {
      await request(gate.server).get('/x').set('Cookie', other.cookie).set('Accept', 'application/json').expect(401);
    } finally {
      await gate.close();
    }
  });

  it('answers a malformed session cookie with 400 and forwards nothing', async () => {
    const gate = await gateServer();
    const before = upstream.requests.length;
    try {
      await request(gate.server).get('/x').set('Cookie', 'ory_kratos_session="a b"').expect(400);
      expect(upstream.requests.length).toBe(before);
    } finally {
      await gate.close();
    }
  });

  it('asks Kratos once for concurrent requests of one session (coalescing)', async () => {
    const gate = await gateServer();
    try {
      const before = whoamiCalls(kratos);
      const results = await Promise.all(Array.from({ length: 8 }, () => fetch(`${gate.url}/c`, { headers: { cookie: user.cookie } })));
      expect(results.map((r) => r.status)).toEqual(Array(8).fill(200));
      await Promise.all(results.map((r) => r.arrayBuffer()));
      expect(whoamiCalls(kratos) - before).toBeLessThan(8);
    } finally {
      await gate.close();
    }
  });

  it('serves repeated requests from the session cache when configured', async () => {
    const gate = await gateServer({ cache: { ttl: '1m' } });
    try {
      await request(gate.server).get('/a').set('Cookie', user.cookie).expect(200);
      const before = whoamiCalls(kratos);
      for (let i = 0; i < 5; i++) await request(gate.server).get('/a').set('Cookie', user.cookie).expect(200);
      expect(whoamiCalls(kratos)).toBe(before);
    } finally {
      await gate.close();
    }
  });
});

describe('authGate: rules', () => {
  const rules = [
    { path: '/public/**', access: 'public' as const },
    { path: '/assets', methods: ['GET'], access: 'public' as const },
    { path: '/admin', aal: 'aal2' as const },
    { path: '/billing', maxAge: '1s' },
    { path: '/editors', check: (session: { identity?: { metadata_public?: unknown } }) => (session.identity?.metadata_public as { role?: string })?.role === 'editor' },
    { path: '/owners', check: () => false },
    { path: '/closed', access: 'deny' as const },
    { path: '/app' },
  ];

  it('forwards public paths without a session and without identity headers', async () => {
    const gate = await gateServer({ rules });
    try {
      const res = await request(gate.server).get('/public/logo.png').expect(200);
      expect(echoed(res.body).headers['x-user-id']).toBeUndefined();
      await request(gate.server).get('/assets/app.css').expect(200);
      await request(gate.server).head('/assets/app.css').expect(200);
    } finally {
      await gate.close();
    }
  });

  it('applies methods: a public GET rule does not make POST public', async () => {
    const gate = await gateServer({ rules });
    try {
      await request(gate.server).post('/assets/upload').set('Accept', 'application/json').expect(403);
    } finally {
      await gate.close();
    }
  });

  it('denies paths no rule matches, with or without a session', async () => {
    const gate = await gateServer({ rules });
    const before = upstream.requests.length;
    try {
      const res = await request(gate.server).get('/elsewhere').set('Cookie', user.cookie).expect(403);
      expect(res.body.error).toMatchObject({ code: 403, reason: 'No rule allows GET /elsewhere.' });
      await request(gate.server).get('/closed').set('Cookie', user.cookie).expect(403);
      await request(gate.server).get('/elsewhere').expect(403);
      expect(upstream.requests.length).toBe(before);
    } finally {
      await gate.close();
    }
  });

  it('sends an aal1 session to login with aal=aal2 on an aal2 rule (403 JSON for APIs)', async () => {
    const gate = await gateServer({ rules });
    try {
      const browser = await request(gate.server).get('/admin/users').set('Cookie', user.cookie).set('Accept', BROWSER).expect(303);
      const location = new URL(browser.headers.location);
      expect(location.searchParams.get('aal')).toBe('aal2');
      expect(location.searchParams.get('return_to')).toBe(`${gate.url}/admin/users`);
      const api = await request(gate.server).get('/admin/users').set('Cookie', user.cookie).set('Accept', 'application/json').expect(403);
      expect(api.body.error.id).toBe('session_aal2_required');
      expect(api.body.redirect_browser_to).toContain('aal=aal2');
    } finally {
      await gate.close();
    }
  });

  it('lets an aal2 session through an aal2 rule', async () => {
    const strong = await signedIn(kratos, 'strong@example.com', { aal: 'aal2', totp: true });
    const gate = await gateServer({ rules });
    try {
      const res = await request(gate.server).get('/admin').set('Cookie', strong.cookie).expect(200);
      expect(echoed(res.body).headers['x-user-aal']).toBe('aal2');
    } finally {
      await gate.close();
    }
  });

  it('sends a stale session to login with refresh=true on a maxAge rule', async () => {
    const stale = await kratos.createSession(user.id, { authenticatedAt: new Date(Date.now() - 60_000) });
    const gate = await gateServer({ rules });
    try {
      const res = await request(gate.server).get('/billing').set('Cookie', stale.cookie).set('Accept', BROWSER).expect(303);
      expect(new URL(res.headers.location).searchParams.get('refresh')).toBe('true');
      const api = await request(gate.server).get('/billing').set('Cookie', stale.cookie).set('Accept', 'application/json').expect(403);
      expect(api.body.error.id).toBe('session_refresh_required');
    } finally {
      await gate.close();
    }
  });

  it('answers 403 when a rule check refuses an authenticated session, and forwards when it accepts', async () => {
    const gate = await gateServer({ rules });
    try {
      await request(gate.server).get('/editors').set('Cookie', user.cookie).expect(200);
      const res = await request(gate.server).get('/owners').set('Cookie', user.cookie).set('Accept', BROWSER).expect(403);
      expect(res.body.error.code).toBe(403);
    } finally {
      await gate.close();
    }
  });

  it.each([
    ['/app/../admin', 'a dot segment'],
    ['/app/%2e%2e/admin', 'an encoded dot segment'],
    ['/public%2f..%2fadmin', 'an encoded slash'],
    ['/public/%E0%A4%A', 'broken percent-encoding'],
  ])('refuses %s (%s) with 400 before any rule', async (path) => {
    const gate = await gateServer({ rules });
    const before = upstream.requests.length;
    try {
      const res = await request(gate.server).get(path).set('Cookie', user.cookie).expect(400);
      expect(res.body.error.reason).toBe('PROXY_BAD_PATH');
      expect(upstream.requests.length).toBe(before);
    } finally {
      await gate.close();
    }
  });

  it('matches rules on the decoded path, so an encoded letter cannot dodge a rule', async () => {
    const gate = await gateServer({ rules });
    try {
      await request(gate.server).get('/%61dmin').set('Cookie', user.cookie).set('Accept', 'application/json').expect(403);
      await request(gate.server).get('//closed').set('Cookie', user.cookie).expect(403);
    } finally {
      await gate.close();
    }
  });
});

describe('authGate: identity headers', () => {
  const spellings = ['X-User-Id', 'x-user-id', 'X-USER-ID', 'x_user_id', 'X_User_Id', 'X-User-Email', 'x_user_email', 'X-Session-Id', 'x_session_id', 'X-User-Aal', 'X-User-Role', 'x-user-anything', 'X-Forwarded-User', 'X-Forwarded-Email', 'X-Auth-Request-User', 'x_auth_request_email', 'Remote-User', 'REMOTE_USER', 'X-Remote-User', 'X-Kratos-Authenticated-Identity-Id', 'X-Name', 'x_name'];

  it.each(spellings)('never forwards a client-sent %s (with a session)', async (name) => {
    const gate = await gateServer({ headers: { 'X-User-Id': 'identity.id', 'X-Name': 'identity.metadata_public.name' } });
    try {
      const res = await request(gate.server).get('/h').set('Cookie', user.cookie).set(name, 'attacker').expect(200);
      const seen = echoed(res.body);
      expect(Object.values(seen.headers)).not.toContain('attacker');
      expect(seen.headers['x-user-id']).toBe(user.id);
    } finally {
      await gate.close();
    }
  });

  it.each(spellings)('never forwards a client-sent %s on a public path', async (name) => {
    const gate = await gateServer({ rules: [{ path: '/', access: 'public' }], headers: { 'X-Name': 'identity.metadata_public.name' } });
    try {
      const res = await request(gate.server).get('/h').set(name, 'attacker').expect(200);
      expect(Object.values(echoed(res.body).headers)).not.toContain('attacker');
      expect(hasHeader(echoed(res.body), name)).toBe(false);
    } finally {
      await gate.close();
    }
  });

  it('removes headers listed in stripHeaders, exact and by prefix', async () => {
    const gate = await gateServer({ stripHeaders: ['X-Tenant', 'X-Internal-*'] });
    try {
      const res = await request(gate.server).get('/h').set('Cookie', user.cookie).set('x_tenant', 'a').set('X-Internal-Role', 'root').set('X-Other', 'kept').expect(200);
      const seen = echoed(res.body);
      expect(seen.headers['x_tenant']).toBeUndefined();
      expect(seen.headers['x-internal-role']).toBeUndefined();
      expect(seen.headers['x-other']).toBe('kept');
    } finally {
      await gate.close();
    }
  });

  it('encodes trait and metadata values so CR/LF and non-latin1 characters cannot inject headers', async () => {
    const gate = await gateServer({ headers: { 'X-Name': 'identity.metadata_public.name', 'X-Meta': 'identity.metadata_public' } });
    try {
      const res = await request(gate.server).get('/h').set('Cookie', user.cookie).expect(200);
      const seen = echoed(res.body);
      expect(seen.headers['x-name']).toBe('Jos%C3%A9%0D%0AX-Admin: 1');
      expect(decodeURIComponent(String(seen.headers['x-name']))).toBe('José\r\nX-Admin: 1');
      expect(seen.headers['x-admin']).toBeUndefined();
      expect(JSON.parse(decodeURIComponent(String(seen.headers['x-meta'])))).toEqual({ name: 'José\r\nX-Admin: 1', role: 'editor' });
    } finally {
      await gate.close();
    }
  });

  it('strips the Kratos session and CSRF cookies upstream by default, keeping the app cookies', async () => {
    const gate = await gateServer();
    try {
      const cookie = `theme=dark; ${user.cookie}; csrf_token_abc=xyz; ory_kratos_continuity=c; lang=en`;
      const res = await request(gate.server).get('/h').set('Cookie', cookie).expect(200);
      expect(echoed(res.body).headers.cookie).toBe('theme=dark; lang=en');
      const token = await request(gate.server).get('/h').set('Authorization', `Bearer ${user.token}`).expect(200);
      expect(echoed(token.body).headers.authorization).toBeUndefined();
      expect(echoed(token.body).headers['x-user-id']).toBe(user.id);
    } finally {
      await gate.close();
    }
  });

  it('passes the session cookie upstream with stripSessionCookie: false', async () => {
    const gate = await gateServer({ stripSessionCookie: false });
    try {
      const res = await request(gate.server).get('/h').set('Cookie', `a=1; ${user.cookie}`).expect(200);
      expect(echoed(res.body).headers.cookie).toBe(`a=1; ${user.cookie}`);
    } finally {
      await gate.close();
    }
  });

  it('replaces a forged X-Forwarded-For/Host/Proto of an untrusted client', async () => {
    const gate = await gateServer();
    try {
      const res = await request(gate.server).get('/h').set('Cookie', user.cookie).set('X-Forwarded-For', '6.6.6.6').set('X-Forwarded-Host', 'evil.example').set('X-Forwarded-Proto', 'https').expect(200);
      const seen = echoed(res.body);
      expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(seen.headers['x-forwarded-host']).toBe(new URL(gate.url).host);
      expect(seen.headers['x-forwarded-proto']).toBe('http');
    } finally {
      await gate.close();
    }
  });

  it('sends the Host as a URL would normalise it in X-Forwarded-Host, and answers 400 to a malformed Host', async () => {
    const gate = await gateServer();
    try {
      for (const [host, expected] of [['App.Example.COM:80', 'app.example.com'], ['app.example.com:8080', 'app.example.com:8080'], ['App.Example.COM:80', 'app.example.com']]) {
        const res = await request(gate.server).get('/h').set('Cookie', user.cookie).set('Host', host).expect(200);
        expect(echoed(res.body).headers['x-forwarded-host']).toBe(expected);
      }
      const bad = await request(gate.server).get('/h').set('Cookie', user.cookie).set('Accept', 'application/json').set('Host', '999.999.999.999');
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe(400);
    } finally {
      await gate.close();
    }
  });

  it('believes X-Forwarded-* from trustedProxies, in login redirects too', async () => {
    const gate = await gateServer({ trustedProxies: ['127.0.0.1'] });
    try {
      const res = await request(gate.server).get('/h').set('Cookie', user.cookie).set('X-Forwarded-For', '203.0.113.9').set('X-Forwarded-Host', 'app.example.com').set('X-Forwarded-Proto', 'https').expect(200);
      const seen = echoed(res.body);
      expect(seen.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
      expect(seen.headers['x-forwarded-host']).toBe('app.example.com');
      expect(seen.headers['x-forwarded-proto']).toBe('https');
      const login = await request(gate.server).get('/h').set('Accept', BROWSER).set('X-Forwarded-Host', 'app.example.com').set('X-Forwarded-Proto', 'https').expect(303);
      expect(new URL(login.headers.location).searchParams.get('return_to')).toBe('https://app.example.com/h');
    } finally {
      await gate.close();
    }
  });
});

describe('authGate: failures', () => {
  it('answers 502 when Kratos is down and forwards nothing', async () => {
    const faulty = await startFaultyKratos('refuse');
    const gate = await gateServer({ publicUrl: faulty.url });
    const before = upstream.requests.length;
    try {
      const res = await request(gate.server).get('/x').set('Cookie', user.cookie).set('Accept', BROWSER).expect(502);
      expect(res.body.error.code).toBe(502);
      expect(upstream.requests.length).toBe(before);
    } finally {
      await gate.close();
      await faulty.close();
    }
  });

  it('answers 503 when Kratos fails with 5xx and 504 when it hangs, never forwarding', async () => {
    const faulty = await startFaultyKratos('status500');
    const gate = await gateServer({ publicUrl: faulty.url, timeout: 300 });
    const before = upstream.requests.length;
    try {
      await request(gate.server).get('/x').set('Cookie', user.cookie).expect(503);
      faulty.setBehaviour('hang');
      await request(gate.server).get('/x').set('Cookie', user.cookie).expect(504);
      faulty.setBehaviour('not-a-session');
      await request(gate.server).get('/x').set('Cookie', user.cookie).expect(502);
      expect(upstream.requests.length).toBe(before);
    } finally {
      await gate.close();
      await faulty.close();
    }
  });

  it('answers 502 when the upstream is down', async () => {
    const dead = await listen(() => undefined);
    await dead.close();
    const gate = await gateServer({ upstream: dead.url });
    try {
      const res = await request(gate.server).get('/x').set('Cookie', user.cookie).expect(502);
      expect(res.body.error.reason).toBe('UPSTREAM_UNREACHABLE');
    } finally {
      await gate.close();
    }
  });

  it('answers 504 when the upstream stays silent beyond upstreamTimeout', async () => {
    const gate = await gateServer({ upstreamTimeout: 300 });
    try {
      const res = await request(gate.server).get('/slow').set('Cookie', user.cookie).expect(504);
      expect(res.body.error.reason).toBe('UPSTREAM_TIMEOUT');
    } finally {
      await gate.close();
    }
  });

  it('reuses keep-alive connections to the upstream', async () => {
    const gate = await gateServer();
    try {
      const first = await request(gate.server).get('/k1').set('Cookie', user.cookie).expect(200);
      const second = await request(gate.server).get('/k2').set('Cookie', user.cookie).expect(200);
      expect(echoed(second.body).remotePort).toBe(echoed(first.body).remotePort);
      expect(echoed(second.body).headers.connection).not.toBe('close');
      const listed = await request(gate.server).get('/k3').set('Cookie', user.cookie).set('Connection', 'close, X-User-Id, Authorization').expect(200);
      expect(echoed(listed.body).headers['x-user-id']).toBe(user.id);
    } finally {
      await gate.close();
    }
  });

  it('passes upstream redirects to the client instead of following them', async () => {
    const gate = await gateServer();
    try {
      const res = await request(gate.server).get('/redirect').set('Cookie', user.cookie).expect(302);
      expect(res.headers.location).toBe('/elsewhere');
    } finally {
      await gate.close();
    }
  });
});
