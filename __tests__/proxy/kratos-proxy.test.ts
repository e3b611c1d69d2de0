import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import { express4 } from '../helpers/apps';
import request from 'supertest';
import { closeSharedContexts } from '../../lib/context';
import { kratosProxy } from '../../lib/proxy';
import { createCookieJar } from '../helpers/cookie-jar';
import { startEmulator, type TestEmulator } from '../helpers/emulator';
import { startFaultyKratos, type FaultyKratos } from '../helpers/faulty-kratos';
import { listen } from './helpers';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

afterAll(() => closeSharedContexts());

const errorCode = (err: { status?: number; code?: string }, _req: unknown, res: express.Response, _next: unknown) => {
  res.status(err.status ?? 500).json({ code: err.code });
};

describe('kratosProxy: a whole browser login through /.ory', () => {
  let kratos: TestEmulator;
  let app: Awaited<ReturnType<typeof listen>>;
  let handler: Handler = () => undefined;

  beforeAll(async () => {
    app = await listen((req, res) => handler(req, res));
    kratos = await startEmulator({
      baseUrl: `${app.url}/.ory/`,
      overrides: {
        selfservice: {
          default_browser_return_url: `${app.url}/welcome`,
          allowed_return_urls: [app.url],
          flows: { login: { ui_url: `${app.url}/login` }, error: { ui_url: `${app.url}/error` } },
        },
      },
    });
    await kratos.createIdentity({ traits: { email: 'proxy@example.com' }, password: 'a-long-enough-password-1' });
    const server = express();
    server.use(kratosProxy({ publicUrl: kratos.publicUrl, browserUrl: '/.ory' }));
    server.use(express.urlencoded({ extended: false }));
    server.get('/welcome', (_req, res) => void res.send('welcome'));
    server.use(errorCode);
    handler = server;
  });
  afterAll(async () => {
    await app.close();
    await kratos.close();
  });

  it('leaves the session cookie first-party on the app origin', async () => {
    const jar = createCookieJar();
    const init = await jar.fetch(`${app.url}/.ory/self-service/login/browser?return_to=${encodeURIComponent(`${app.url}/welcome`)}`, { redirect: 'manual' });
    expect(init.status).toBe(303);
    const ui = new URL(init.headers.get('location')!);
    expect(ui.origin + ui.pathname).toBe(`${app.url}/login`);
    const csrfCookie = init.headers.getSetCookie().find((c) => c.startsWith('csrf_token_'))!;
    expect(csrfCookie).not.toMatch(/;\s*domain=/i);
    expect(csrfCookie).not.toMatch(/;\s*secure/i);
    expect(csrfCookie).toMatch(/;\s*path=\//i);

    const flowRes = await jar.fetch(`${app.url}/.ory/self-service/login/flows?id=${ui.searchParams.get('flow')}`, { headers: { accept: 'application/json' } });
    expect(flowRes.status).toBe(200);
    const flow = (await flowRes.json()) as { ui: { action: string; nodes: Array<{ attributes: { name: string; value?: string } }> } };
    expect(flow.ui.action.startsWith(`${app.url}/.ory/self-service/login?flow=`)).toBe(true);
    const csrf = flow.ui.nodes.find((n) => n.attributes.name === 'csrf_token')!.attributes.value!;

    const submit = await jar.fetch(flow.ui.action, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ identifier: 'proxy@example.com', password: 'a-long-enough-password-1', method: 'password', csrf_token: csrf }).toString(),
    });
    expect(submit.status).toBe(303);
    expect(submit.headers.get('location')).toBe(`${app.url}/welcome`);
    const sessionCookie = submit.headers.getSetCookie().find((c) => c.startsWith(`${kratos.sessionCookieName}=`))!;
    expect(sessionCookie).toBeDefined();
    expect(sessionCookie).not.toMatch(/;\s*domain=/i);
    expect(jar.get(kratos.sessionCookieName, `${app.url}/any/page`)).toBeDefined();

    const whoami = await jar.fetch(`${app.url}/.ory/sessions/whoami`, { headers: { accept: 'application/json' } });
    expect(whoami.status).toBe(200);
    expect(((await whoami.json()) as { identity: { traits: { email: string } } }).identity.traits.email).toBe('proxy@example.com');
  });

  it('passes a JSON login body through untouched', async () => {
    const jar = createCookieJar();
    const init = await jar.fetch(`${app.url}/.ory/self-service/login/browser`, { headers: { accept: 'application/json' } });
    const flow = (await init.json()) as { ui: { action: string; nodes: Array<{ attributes: { name: string; value?: string } }> } };
    const csrf = flow.ui.nodes.find((n) => n.attributes.name === 'csrf_token')!.attributes.value!;
    const res = await jar.fetch(flow.ui.action, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ identifier: 'proxy@example.com', password: 'a-long-enough-password-1', method: 'password', csrf_token: csrf }),
    });
    expect(res.status).toBe(200);
    expect(jar.get(kratos.sessionCookieName, app.url)).toBeDefined();
  });

  it.each([
    '/.ory/admin/identities',
    '/.ory/identities',
    '/.ory/health/alive',
    '/.ory/version',
    '/.ory',
  ])('answers %s with 404 from the proxy itself', async (path) => {
    const before = JSON.stringify(kratos.stats());
    const res = await request(app.server).get(path).expect(404);
    expect(res.body.code).toBe('PROXY_NOT_FOUND');
    expect(JSON.stringify(kratos.stats())).toBe(before);
  });

  it('refuses dot segments that would reach admin paths with 400', async () => {
    const res = await request(app.server).get('/.ory/self-service/../admin/identities').expect(400);
    expect(res.body.code).toBe('PROXY_BAD_PATH');
  });

  it('leaves other paths of the app alone', async () => {
    await request(app.server).get('/welcome').expect(200, 'welcome');
    await request(app.server).get('/.oryx/self-service/login/browser').expect(404);
  });
});

describe('kratosProxy: headers', () => {
  let faulty: FaultyKratos;
  beforeAll(async () => {
    faulty = await startFaultyKratos((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(303, {
          location: req.url?.startsWith('/self-service/login/browser') ? `${faulty.url}/self-service/login/browser?aal=aal2` : 'http://127.0.0.1:4455/login?flow=1',
          'set-cookie': ['ory_kratos_session=abc; Path=/; Domain=kratos.internal; HttpOnly; Secure; SameSite=Lax', 'csrf_token_x=y; Path=/; Max-Age=31536000; HttpOnly'],
          'x-body': Buffer.concat(chunks).toString('base64'),
        });
        res.end();
      });
    });
  });
  afterAll(() => faulty.close());

  function appWith(options: Parameters<typeof kratosProxy>[0] = {}, trust = false) {
    const app = express();
    if (trust) app.set('trust proxy', 'loopback');
    app.use(kratosProxy({ publicUrl: faulty.url, ...options }));
    app.use(errorCode);
    return app;
  }

  it('maps Location headers that point at Kratos to the prefixed app URL and leaves others alone', async () => {
    const app = appWith();
    const res = await request(app).get('/.ory/self-service/login/browser').set('Host', 'app.test:8080').expect(303);
    expect(res.headers.location).toBe('http://app.test:8080/.ory/self-service/login/browser?aal=aal2');
    const other = await request(app).get('/.ory/self-service/settings').expect(303);
    expect(other.headers.location).toBe('http://127.0.0.1:4455/login?flow=1');
  });

  it('drops the cookie Domain and Secure over http, keeping Path, HttpOnly, SameSite and Max-Age', async () => {
    const res = await request(appWith()).get('/.ory/self-service/login/browser').expect(303);
    expect(res.headers['set-cookie']).toEqual(['ory_kratos_session=abc; Path=/; HttpOnly; SameSite=Lax', 'csrf_token_x=y; Max-Age=31536000; Path=/; HttpOnly']);
  });

  it('sets Secure from X-Forwarded-Proto under trust proxy, and the configured cookie domain', async () => {
    const res = await request(appWith({ cookieDomain: 'example.com' }, true)).get('/.ory/self-service/login/browser').set('X-Forwarded-Proto', 'https').expect(303);
    expect(res.headers['set-cookie'][0]).toBe('ory_kratos_session=abc; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=Lax');
    expect(res.headers.location).toMatch(/^https:\/\//);
    const untrusted = await request(appWith()).get('/.ory/self-service/login/browser').set('X-Forwarded-Proto', 'https').expect(303);
    expect(untrusted.headers['set-cookie'][0]).not.toMatch(/Secure/);
  });

  it('forwards X-Forwarded-Host/Proto/For, strips the prefix and sends Kratos only its own cookies', async () => {
    faulty.requests.length = 0;
    await request(appWith({}, true))
      .get('/.ory/self-service/login/browser?return_to=%2Fx')
      .set('Host', 'app.test')
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-For', '203.0.113.7')
      .set('Cookie', 'connect.sid=secret; ory_kratos_session=s; csrf_token_abc=t; theme=dark')
      .expect(303);
    const seen = faulty.requests[0];
    expect(seen.url).toBe('/self-service/login/browser?return_to=%2Fx');
    expect(seen.headers['x-forwarded-host']).toBe('app.test');
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(seen.headers['x-forwarded-for']).toMatch(/^203\.0\.113\.7, (?:::ffff:)?127\.0\.0\.1$/);
    expect(seen.headers.cookie).toBe('ory_kratos_session=s; csrf_token_abc=t');
  });

  it('passes a form body byte for byte', async () => {
    const body = 'identifier=a%40b.c&password=p%26ss&csrf_token=x%2By';
    const res = await request(appWith()).post('/.ory/self-service/login?flow=1').type('form').send(body).expect(303);
    expect(Buffer.from(res.headers['x-body'], 'base64').toString()).toBe(body);
  });

  it('fails with PROXY_BODY_CONSUMED naming the fix when a body parser ran first', async () => {
    const app = express();
    app.use(express.json());
    app.use(kratosProxy({ publicUrl: faulty.url }));
    app.use((err: { status: number; code: string; message: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(err.status).json({ code: err.code, message: err.message });
    });
    const res = await request(app).post('/.ory/self-service/login?flow=1').send({ identifier: 'a' }).expect(500);
    expect(res.body.code).toBe('PROXY_BODY_CONSUMED');
    expect(res.body.message).toMatch(/Mount kratosProxy\(\) before the body parsers/);
  });

  it('works mounted under a path on Express 4', async () => {
    const app = express4();
    app.use('/.ory', kratosProxy({ publicUrl: faulty.url }));
    const res = await request(app).get('/.ory/self-service/login/browser').set('Host', 'app.test').expect(303);
    expect(res.headers.location).toBe('http://app.test/.ory/self-service/login/browser?aal=aal2');
  });

  it('answers 502 when Kratos is down (plain http: JSON)', async () => {
    const dead = await startFaultyKratos('refuse');
    const served = await listen(kratosProxy({ publicUrl: dead.url }));
    try {
      const res = await request(served.server).get('/.ory/sessions/whoami').expect(502);
      expect(res.body.error.reason).toBe('UPSTREAM_UNREACHABLE');
    } finally {
      await served.close();
    }
  });
});
