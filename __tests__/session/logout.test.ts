import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import request from 'supertest';
import { closeSharedContexts } from '../../lib/context';
import { createKratos } from '../../lib/create-kratos';
import { optionalSession, requireSession } from '../../lib/session/factories';
import { getLogoutUrl } from '../../lib/session/logout';
import { appWith, FRAMEWORKS } from '../helpers/apps';
import { startFaultyKratos, type FaultyKratos } from '../helpers/faulty-kratos';

/*
 * A scripted Kratos answering whoami and GET /self-service/logout/browser exactly as CONTRACT §2.1/§2.5
 * describe: one known session cookie, a logout URL on Kratos' public URL with return_to before token.
 */
const SESSION = {
  id: '8f3c1d1e-0000-4000-8000-000000000001',
  active: true,
  expires_at: new Date(Date.now() + 3600_000).toISOString(),
  authenticated_at: new Date().toISOString(),
  authenticator_assurance_level: 'aal1',
  identity: { id: '8f3c1d1e-0000-4000-8000-000000000002', schema_id: 'default', traits: { email: 'logout@example.com' } },
};
const COOKIE = 'ory_kratos_session=known';

let kratos: FaultyKratos;

function scripted(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://x');
  const known = req.headers.cookie === COOKIE;
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (url.pathname === '/sessions/whoami') {
    return known ? json(200, SESSION) : json(401, { error: { code: 401, status: 'Unauthorized', message: 'The request could not be authorized' } });
  }
  if (url.pathname === '/self-service/logout/browser') {
    if (!known) return json(401, { error: { id: 'session_inactive', code: 401, status: 'Unauthorized', message: 'request does not have a valid authentication session' } });
    const returnTo = url.searchParams.get('return_to');
    const query = new URLSearchParams({ ...(returnTo ? { return_to: returnTo } : {}), token: 'ory_lo_abc' });
    return json(200, { logout_url: `${kratos.url}/self-service/logout?${query}`, logout_token: 'ory_lo_abc' });
  }
  json(404, { error: { code: 404 } });
}

beforeAll(async () => {
  kratos = await startFaultyKratos(scripted);
});
afterAll(async () => {
  await closeSharedContexts();
  await kratos.close();
});

describe.each(FRAMEWORKS)('logoutUrl: true on %s', (framework) => {
  it('fills res.locals.logoutUrl with Kratos\' logout URL', async () => {
    const res = await request(appWith(framework, [requireSession({ publicUrl: kratos.url, logoutUrl: true })])).get('/').set({ Host: 'app.test', Cookie: COOKIE });
    expect(res.body.logoutUrl).toBe(`${kratos.url}/self-service/logout?token=ory_lo_abc`);
  });

  it('maps the logout URL to a relative browserUrl', async () => {
    const res = await request(appWith(framework, [optionalSession({ publicUrl: kratos.url, browserUrl: '/.ory', logoutUrl: true })])).get('/').set({ Host: 'app.test', Cookie: COOKIE });
    expect(res.body.logoutUrl).toBe('http://app.test/.ory/self-service/logout?token=ory_lo_abc');
  });

  it('forwards only the session cookie to Kratos', async () => {
    kratos.requests.length = 0;
    await request(appWith(framework, [requireSession({ publicUrl: kratos.url, logoutUrl: true })])).get('/').set({ Host: 'app.test', Cookie: `app_sid=secret; ${COOKIE}` });
    expect(kratos.requests.map((r) => [r.url, r.headers.cookie])).toEqual([
      ['/sessions/whoami', COOKIE],
      ['/self-service/logout/browser', COOKIE],
    ]);
  });
});

describe('getLogoutUrl(req)', () => {
  const appWithHandler = (returnTo?: string) => {
    const app = express();
    app.use(optionalSession({ publicUrl: kratos.url }));
    app.get('/', async (req, res, next) => {
      try {
        res.json({ logoutUrl: (await getLogoutUrl(req, { returnTo })) ?? null });
      } catch (err) {
        next(err);
      }
    });
    return app;
  };

  it('asks Kratos for the logout URL with a safe return_to', async () => {
    const res = await request(appWithHandler('/goodbye')).get('/').set({ Host: 'app.test', Cookie: COOKIE });
    expect(res.body.logoutUrl).toBe(`${kratos.url}/self-service/logout?return_to=${encodeURIComponent('http://app.test/goodbye')}&token=ory_lo_abc`);
  });

  it('drops a return_to to another site', async () => {
    const res = await request(appWithHandler('https://evil.com/')).get('/').set({ Host: 'app.test', Cookie: COOKIE });
    expect(res.body.logoutUrl).toBe(`${kratos.url}/self-service/logout?token=ory_lo_abc`);
  });

  it('is undefined without a session, or for an API client with a token', async () => {
    expect((await request(appWithHandler()).get('/').set({ Host: 'app.test' })).body.logoutUrl).toBeNull();
    expect((await request(appWithHandler()).get('/').set({ Host: 'app.test', Cookie: 'ory_kratos_session=revoked' })).body.logoutUrl).toBeNull();
    expect((await request(appWithHandler()).get('/').set({ Host: 'app.test', 'X-Session-Token': 'ory_st_x' })).body.logoutUrl).toBeNull();
  });

  it('is bound to the kit with createKratos().getLogoutUrl', async () => {
    const kit = createKratos({ publicUrl: kratos.url, browserUrl: 'http://id.app.test' }, {});
    const app = express();
    app.get('/', async (req, res, next) => {
      try {
        res.json({ logoutUrl: await kit.getLogoutUrl(req) });
      } catch (err) {
        next(err);
      }
    });
    const res = await request(app).get('/').set({ Host: 'app.test', Cookie: COOKIE });
    expect(res.body.logoutUrl).toBe('http://id.app.test/self-service/logout?token=ory_lo_abc');
    await kit.close();
  });

  it('refuses a logout URL that does not point at Kratos', async () => {
    const rogue = await startFaultyKratos((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url?.startsWith('/sessions') ? SESSION : { logout_url: 'https://evil.com/self-service/logout?token=x' }));
    });
    try {
      const res = await request(appWith('Express 5', [requireSession({ publicUrl: rogue.url, logoutUrl: true })])).get('/').set({ Host: 'app.test', Cookie: COOKIE });
      expect(res.status).toBe(502);
      expect(res.body.code).toBe('KRATOS_BAD_RESPONSE');
    } finally {
      await rogue.close();
    }
  });
});
