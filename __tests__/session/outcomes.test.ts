import express from 'express';
import request from 'supertest';
import { closeSharedContexts } from '../../lib/context';
import { hasVerifiedEmail, traitEquals } from '../../lib/session/checks';
import { getSession } from '../../lib/session/attach';
import { getLogoutUrl } from '../../lib/session/logout';
import { optionalSession, requireSession } from '../../lib/session/factories';
import type { SessionMiddleware } from '../../lib/session/middleware';
import type { RequireSessionOptions } from '../../lib/session/options';
import { appWith, FRAMEWORKS } from '../helpers/apps';
import { startEmulator, type TestEmulator } from '../helpers/emulator';

const BROWSER = { Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', Host: 'app.test' };
const API = { Accept: 'application/json', Host: 'app.test' };

let kratos: TestEmulator;
let plain: { cookie: string; token: string; sessionId: string };
let withTotp: { cookie: string };
let old: { cookie: string };
let unverified: { cookie: string };

beforeAll(async () => {
  kratos = await startEmulator();
  const alice = await kratos.createIdentity({ traits: { email: 'alice@example.com' }, password: 'correct horse battery', verified: true });
  const a = await kratos.createSession(alice.id as string);
  plain = { cookie: a.cookie, token: a.token, sessionId: a.session.id as string };
  const bob = await kratos.createIdentity({ traits: { email: 'bob@example.com' }, password: 'correct horse battery', verified: true, totp: true });
  withTotp = await kratos.createSession(bob.id as string, { aal: 'aal1', methods: ['password'] });
  const carol = await kratos.createIdentity({ traits: { email: 'carol@example.com' }, verified: true });
  old = await kratos.createSession(carol.id as string, { authenticatedAt: new Date(Date.now() - 60 * 60_000) });
  const dave = await kratos.createIdentity({ traits: { email: 'dave@example.com' }, verified: false });
  unverified = await kratos.createSession(dave.id as string);
});
afterAll(async () => {
  await closeSharedContexts();
  await kratos.close();
});

const guard = (options: RequireSessionOptions = {}) => requireSession({ publicUrl: kratos.publicUrl, ...options });
const loginPrefix = () => `${kratos.publicUrl}/self-service/login/browser`;

describe.each(FRAMEWORKS)('requireSession on %s', (framework) => {
  const app = (options?: RequireSessionOptions) => appWith(framework, [guard(options)]);

  it('attaches the session as req.session, res.locals.session and getSession(req)', async () => {
    const res = await request(app()).get('/dashboard').set(BROWSER).set('Cookie', `theme=dark; ${plain.cookie}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ session: plain.sessionId, property: plain.sessionId, locals: plain.sessionId, email: 'alice@example.com' });
  });

  it('accepts a session token in X-Session-Token and in Authorization: Bearer', async () => {
    const viaHeader = await request(app()).get('/api/me').set(API).set('X-Session-Token', plain.token);
    const viaBearer = await request(app()).get('/api/me').set(API).set('Authorization', `Bearer ${plain.token}`);
    expect([viaHeader.status, viaBearer.status]).toEqual([200, 200]);
    expect(viaHeader.body.session).toBe(plain.sessionId);
    expect(viaBearer.body.session).toBe(plain.sessionId);
  });

  it('redirects a browser without a session to login with return_to', async () => {
    const res = await request(app()).get('/dashboard?tab=2').set(BROWSER);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${loginPrefix()}?return_to=${encodeURIComponent('http://app.test/dashboard?tab=2')}`);
    expect(res.headers['cache-control']).toBe('private, no-store');
  });

  it('treats an unknown session cookie like no session', async () => {
    const res = await request(app()).get('/dashboard').set(BROWSER).set('Cookie', 'ory_kratos_session=not-a-real-session');
    expect(res.status).toBe(303);
    expect(res.headers.location.startsWith(loginPrefix())).toBe(true);
  });

  it('answers an API call without a session with 401 in Kratos\' error envelope', async () => {
    const res = await request(app()).get('/api/me').set(API);
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      error: { id: 'session_inactive', code: 401, status: 'Unauthorized', reason: 'No valid session credentials found in the request.', message: 'The request could not be authorized' },
    });
  });

  it('answers AJAX (X-Requested-With) with JSON even when it accepts HTML', async () => {
    const res = await request(app()).get('/x').set(BROWSER).set('X-Requested-With', 'XMLHttpRequest');
    expect(res.status).toBe(401);
  });

  it('sends a browser whose session needs a second factor to login with aal=aal2 and return_to', async () => {
    const res = await request(app()).get('/settings').set(BROWSER).set('Cookie', withTotp.cookie);
    expect(res.status).toBe(303);
    const location = new URL(res.headers.location);
    expect(location.origin + location.pathname).toBe(loginPrefix());
    expect(location.searchParams.get('aal')).toBe('aal2');
    expect(location.searchParams.get('return_to')).toBe('http://app.test/settings');
  });

  it('answers an API call whose session needs a second factor with 403 session_aal2_required', async () => {
    const res = await request(app()).get('/api/x').set(API).set('Cookie', withTotp.cookie);
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ id: 'session_aal2_required', code: 403, status: 'Forbidden' });
    expect(new URL(res.body.redirect_browser_to).searchParams.get('aal')).toBe('aal2');
  });

  it("sends an aal1 session to login with aal=aal2 on a route that requires aal: 'aal2'", async () => {
    const res = await request(app({ aal: 'aal2' })).get('/admin').set(BROWSER).set('Cookie', plain.cookie);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${loginPrefix()}?aal=aal2&return_to=${encodeURIComponent('http://app.test/admin')}`);
  });

  it('sends a session authenticated before maxAge to login with refresh=true', async () => {
    const res = await request(app({ maxAge: '10m' })).get('/billing').set(BROWSER).set('Cookie', old.cookie);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${loginPrefix()}?refresh=true&return_to=${encodeURIComponent('http://app.test/billing')}`);
    const api = await request(app({ maxAge: '10m' })).get('/billing').set(API).set('Cookie', old.cookie);
    expect(api.status).toBe(403);
    expect(api.body.error.id).toBe('session_refresh_required');
  });

  it('lets a fresh enough session through maxAge', async () => {
    const res = await request(app({ maxAge: '10m' })).get('/billing').set(BROWSER).set('Cookie', plain.cookie);
    expect(res.status).toBe(200);
  });

  it('answers 403 JSON to an API call whose session fails a check', async () => {
    const res = await request(app({ check: hasVerifiedEmail() })).get('/orders').set(API).set('Cookie', unverified.cookie);
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 403, status: 'Forbidden', message: 'The requested action was forbidden' });
  });

  it('passes FORBIDDEN to the app\'s error handler for a browser whose session fails a check', async () => {
    const res = await request(app({ check: [hasVerifiedEmail(), traitEquals('email', 'someone@else.com')] })).get('/orders').set(BROWSER).set('Cookie', plain.cookie);
    expect(res.status).toBe(403);
    expect(res.headers['x-error-handler']).toBe('app');
    expect(res.body.code).toBe('FORBIDDEN');
  });

  it('lets a session that passes every check through, async checks included', async () => {
    const res = await request(app({ check: [hasVerifiedEmail(), async (session) => session.identity?.id !== undefined] })).get('/orders').set(BROWSER).set('Cookie', plain.cookie);
    expect(res.status).toBe(200);
  });

  it("passes UNAUTHENTICATED to next(err) with onUnauthenticated: 'error'", async () => {
    const res = await request(app({ onUnauthenticated: 'error' })).get('/x').set(BROWSER);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('UNAUTHENTICATED');
  });

  it("redirects even API calls with onUnauthenticated: 'redirect'", async () => {
    const res = await request(app({ onUnauthenticated: 'redirect' })).get('/x').set(API);
    expect(res.status).toBe(303);
  });

  it('hands the refusal and the login URL to an onUnauthenticated handler', async () => {
    const res = await request(
      app({
        aal: 'aal2',
        onUnauthenticated: (_req, res, _next, error) => {
          res.statusCode = 418;
          res.end(`${error.code} ${error.redirectTo}`);
        },
      }),
    )
      .get('/x')
      .set(API)
      .set('Cookie', plain.cookie);
    expect(res.status).toBe(418);
    expect(res.text).toBe(`AAL2_REQUIRED ${loginPrefix()}?aal=aal2&return_to=${encodeURIComponent('http://app.test/x')}`);
  });

  it('answers 400 to a malformed session cookie instead of asking Kratos', async () => {
    kratos.resetStats();
    const res = await request(app()).get('/x').set(BROWSER).set('Cookie', 'ory_kratos_session=a\\b');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('BAD_REQUEST');
    expect(kratos.stats()['/sessions/whoami'] ?? 0).toBe(0);
  });

  it('does not ask Kratos when the request carries no credential', async () => {
    kratos.resetStats();
    await request(app()).get('/x').set(BROWSER).set('Cookie', 'theme=dark');
    expect(kratos.stats()['/sessions/whoami'] ?? 0).toBe(0);
  });
});

describe.each(FRAMEWORKS)('optionalSession on %s', (framework) => {
  const app = () => appWith(framework, [optionalSession({ publicUrl: kratos.publicUrl })]);

  it('attaches the session when present', async () => {
    const res = await request(app()).get('/').set(BROWSER).set('Cookie', plain.cookie);
    expect(res.status).toBe(200);
    expect(res.body.session).toBe(plain.sessionId);
  });

  it('goes on without a session and never redirects', async () => {
    for (const cookie of ['', 'ory_kratos_session=unknown', withTotp.cookie]) {
      const res = await request(app()).get('/').set(BROWSER).set('Cookie', cookie);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ session: null, property: null, locals: null });
    }
  });
});

// With a cache, a session the cache holds is handled without a promise (next() in the same tick): the same
// outcomes as a checked session, and the request after the first asks Kratos nothing.
describe.each(FRAMEWORKS)('requireSession and optionalSession serving a cached session on %s', (framework) => {
  const cache = { ttl: '1m' };
  const app = (options: RequireSessionOptions = {}) => appWith(framework, [requireSession({ publicUrl: kratos.publicUrl, cache, ...options })]);
  const twice = async (make: () => ReturnType<typeof app>, headers: Record<string, string>, path = '/x') => {
    const first = await request(make()).get(path).set(headers);
    kratos.resetStats();
    const second = await request(make()).get(path).set(headers);
    expect(kratos.stats()['/sessions/whoami'] ?? 0).toBe(0);
    return { first, second };
  };

  it('attaches the cached session everywhere', async () => {
    const { first, second } = await twice(() => app(), { ...API, Cookie: plain.cookie });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.body).toMatchObject({ session: plain.sessionId, property: plain.sessionId, locals: plain.sessionId });
  });

  it("still sends a cached aal1 session to login with aal=aal2 on an aal2 route, and refuses it 403 as JSON", async () => {
    const { second } = await twice(() => app({ aal: 'aal2' }), { ...BROWSER, Cookie: plain.cookie }, '/admin');
    expect(second.status).toBe(303);
    expect(second.headers.location).toBe(`${loginPrefix()}?aal=aal2&return_to=${encodeURIComponent('http://app.test/admin')}`);
    const api = await request(app({ aal: 'aal2' })).get('/admin').set(API).set('Cookie', plain.cookie);
    expect(api.status).toBe(403);
    expect(api.body.error.id).toBe('session_aal2_required');
  });

  it('still applies maxAge to a cached session', async () => {
    const { second } = await twice(() => app({ maxAge: '10m' }), { ...API, Cookie: old.cookie }, '/billing');
    expect(second.status).toBe(403);
    expect(second.body.error.id).toBe('session_refresh_required');
  });

  it('answers 400 for a malformed Host when it builds the login URL for a cached session', async () => {
    await request(app({ aal: 'aal2' })).get('/admin').set(API).set('Cookie', plain.cookie);
    const res = await request(app({ aal: 'aal2' })).get('/admin').set({ ...BROWSER, Host: 'bad host' }).set('Cookie', plain.cookie);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('BAD_REQUEST');
  });

  it('answers 400 for a malformed session cookie with the cache on', async () => {
    const res = await request(app()).get('/x').set(BROWSER).set('Cookie', 'ory_kratos_session=a\\b');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('BAD_REQUEST');
  });

  it('reads the session credential once on a cache miss (one parse and hash for the lookup and the check)', async () => {
    const erin = await kratos.createIdentity({ traits: { email: `erin-${framework.replace(/\W/g, '')}@example.com` }, verified: true });
    const fresh = await kratos.createSession(erin.id as string);
    let reads = 0;
    const countCookieReads: SessionMiddleware = (req, _res, next) => {
      const headers = req.headers;
      Object.defineProperty(req, 'headers', {
        configurable: true,
        value: new Proxy(headers, { get: (target, name) => (name === 'cookie' && reads++, Reflect.get(target, name)) }),
      });
      next();
    };
    for (const middleware of [requireSession({ publicUrl: kratos.publicUrl, cache }), optionalSession({ publicUrl: kratos.publicUrl, cache: { ttl: '2m' } })]) {
      reads = 0;
      kratos.resetStats();
      const res = await request(appWith(framework, [countCookieReads, middleware])).get('/x').set({ ...API, Cookie: fresh.cookie });
      expect(res.body).toMatchObject({ session: fresh.session.id });
      expect(kratos.stats()['/sessions/whoami']).toBe(1);
      expect(reads).toBe(1);
    }
  });

  it('optionalSession attaches the cached session', async () => {
    const optional = () => appWith(framework, [optionalSession({ publicUrl: kratos.publicUrl, cache })]);
    const { second } = await twice(optional, { ...BROWSER, Cookie: plain.cookie }, '/');
    expect(second.body).toMatchObject({ session: plain.sessionId, property: plain.sessionId, locals: plain.sessionId });
  });
});

describe('a cached session handled in the same tick', () => {
  it('reports an error thrown by the next handler once, through the app, not as a session error', async () => {
    const errors: unknown[] = [];
    const app = express();
    app.use(requireSession({ publicUrl: kratos.publicUrl, cache: { ttl: '1m' } }));
    app.get('/boom', () => {
      throw new Error('handler failed');
    });
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      errors.push(err);
      res.status(500).json({ message: err.message });
    });
    await request(app).get('/boom').set(API).set('Cookie', plain.cookie).expect(500);
    errors.length = 0;
    const cached = await request(app).get('/boom').set(API).set('Cookie', plain.cookie);
    expect(cached.status).toBe(500);
    expect(cached.body.message).toBe('handler failed');
    expect(errors).toHaveLength(1);
  });

  it('is refused KRATOS_SESSION_PROPERTY_CONFLICT when another middleware owns req.session', async () => {
    const app = express();
    app.use((req, _res, next) => {
      if (req.headers['x-owner']) (req as unknown as { session: object }).session = { cart: [] };
      next();
    });
    app.use(requireSession({ publicUrl: kratos.publicUrl, cache: { ttl: '1m' } }));
    app.get('/x', (_req, res) => void res.send('ok'));
    app.use((err: { code?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => void res.status(500).json({ code: err.code }));
    await request(app).get('/x').set(API).set('Cookie', plain.cookie).expect(200);
    const res = await request(app).get('/x').set(API).set('x-owner', '1').set('Cookie', plain.cookie);
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('KRATOS_SESSION_PROPERTY_CONFLICT');
  });
});

describe('mounted twice', () => {
  it('asks Kratos once per request for app.use(optionalSession()) plus a route requireSession()', async () => {
    const express = (await import('express')).default;
    const app = express();
    app.use(optionalSession({ publicUrl: kratos.publicUrl }));
    app.get('/x', requireSession({ publicUrl: kratos.publicUrl, maxAge: '1h' }), (_req, res) => void res.send('ok'));
    kratos.resetStats();
    const res = await request(app).get('/x').set(BROWSER).set('Cookie', plain.cookie);
    expect(res.text).toBe('ok');
    expect(kratos.stats()['/sessions/whoami']).toBe(1);
  });

  it.each([
    ['an uncached check, a cache hit, the uncached check again', ['uncached', 'cached', 'uncached']],
    ['a cache hit, an uncached check, the cache hit again', ['cached', 'uncached', 'cached']],
  ])('keeps one record per request through %s', async (_name, order) => {
    const express = (await import('express')).default;
    const options = {
      cached: { publicUrl: kratos.publicUrl, cache: { ttl: '1m' } },
      uncached: { publicUrl: kratos.publicUrl, timeout: '4s', sessionProperty: 'kratosSession' },
    } as const;
    const app = express();
    app.get('/warm', requireSession(options.cached), (_req, res) => void res.send('ok'));
    app.get('/x', ...order.map((name) => requireSession(options[name as keyof typeof options])), async (req, res, next) => {
      try {
        const own = req as unknown as { session?: { id?: string }; kratosSession?: { id?: string } };
        res.json({ session: own.session?.id, kratosSession: own.kratosSession?.id, getSession: getSession(req)?.id, logoutUrl: await getLogoutUrl(req) });
      } catch (err) {
        next(err);
      }
    });
    await request(app).get('/warm').set(API).set('Cookie', plain.cookie).expect(200);
    kratos.resetStats();
    const res = await request(app).get('/x').set(API).set('Cookie', plain.cookie).expect(200);
    expect(res.body).toMatchObject({ session: plain.sessionId, kratosSession: plain.sessionId, getSession: plain.sessionId });
    expect(res.body.logoutUrl).toContain('/self-service/logout?token=');
    // the uncached context asks once (its second pass reuses the request's memo), the cached one never
    expect(kratos.stats()['/sessions/whoami']).toBe(1);
  });

  it('keeps one memo per context on a request passing through two contexts, under two properties', async () => {
    const express = (await import('express')).default;
    const first = { publicUrl: kratos.publicUrl };
    const second = { publicUrl: kratos.publicUrl, timeout: '4s', sessionProperty: 'kratosSession' };
    const app = express();
    app.use(optionalSession(first));
    app.use(requireSession(second));
    app.get('/x', requireSession(first), requireSession(second), async (req, res, next) => {
      try {
        const own = req as unknown as { session?: { id?: string }; kratosSession?: { id?: string } };
        res.json({ session: own.session?.id, kratosSession: own.kratosSession?.id, getSession: getSession(req)?.id, logoutUrl: await getLogoutUrl(req) });
      } catch (err) {
        next(err);
      }
    });
    kratos.resetStats();
    const res = await request(app).get('/x').set(API).set('Cookie', plain.cookie).expect(200);
    expect(res.body).toMatchObject({ session: plain.sessionId, kratosSession: plain.sessionId, getSession: plain.sessionId });
    expect(res.body.logoutUrl).toContain('/self-service/logout?token=');
    expect(kratos.stats()['/sessions/whoami']).toBe(2);
  });
});
