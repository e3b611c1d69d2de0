import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import express from 'express';
import helmet from 'helmet';
import { closeSharedContexts } from '../../lib/context';
import { flowRoutes, type FlowRoutesOptions } from '../../lib/flows';
import type { FlowViewData } from '../../lib/render';
import { optionalSession } from '../../lib/session';
import type { TestEmulator } from '../helpers/emulator';
import { appWith, Browser, documentOf, express4, reportError, startPair, type LateServer } from './helpers';

let app: LateServer;
let kratos: TestEmulator;
beforeAll(async () => {
  ({ app, kratos } = await startPair());
});
afterAll(async () => {
  await closeSharedContexts();
  await app.close();
  await kratos.close();
});

type Next = (err?: unknown) => void;
const routes = (extra: Partial<FlowRoutesOptions> = {}) => flowRoutes({ publicUrl: kratos.publicUrl, ...extra });

let n = 0;
async function signedInBrowser(): Promise<{ browser: Browser; email: string }> {
  const email = `render${++n}@example.com`;
  const identity = await kratos.createIdentity({ traits: { email }, password: 'a-long-secret-1' });
  const { cookie } = await kratos.createSession(identity.id as string);
  const browser = new Browser();
  browser.jar.set(`${cookie}; Path=/`, kratos.publicUrl);
  return { browser, email };
}

function ejsApp(version: 4 | 5, extra: Partial<FlowRoutesOptions> = {}) {
  const server = version === 5 ? express() : express4();
  server.set('views', path.join(__dirname, 'views'));
  server.set('view engine', 'ejs');
  server.use(routes({ render: 'flow', ...extra }));
  server.use((err: unknown, req: IncomingMessage, res: ServerResponse, _next: Next) => reportError(err, req, res));
  return server;
}

describe('the built-in renderer', () => {
  it('renders the page with appName, the stylesheet and the nonce of res.locals.cspNonce', async () => {
    const server = express();
    server.use((_req, res, next) => {
      res.locals.cspNonce = 'bm9uY2UtMTIz';
      next();
    });
    server.use(routes({ appName: 'Acme', stylesheet: '/app.css' }));
    app.set(server);
    const page = await new Browser().get(`${app.url}/login`);
    const doc = documentOf(page);
    expect(doc.title).toBe('Sign in – Acme');
    expect(doc.querySelector('style')?.getAttribute('nonce')).toBe('bm9uY2UtMTIz');
    expect(doc.querySelector('link[rel=stylesheet]')?.getAttribute('href')).toBe('/app.css');
    expect(doc.querySelector('a.kratos-link--registration')?.getAttribute('href')).toBe('/registration');
  });

  it('takes the nonce from the nonce option', async () => {
    app.set(appWith('Connect', routes({ nonce: () => 'b3B0aW9u' })));
    const page = await new Browser().get(`${app.url}/login`);
    expect(documentOf(page).querySelector('style')?.getAttribute('nonce')).toBe('b3B0aW9u');
  });

  it('works under helmet\'s Content-Security-Policy: no inline script, the style carries the nonce', async () => {
    const server = express();
    server.use((_req, res, next) => {
      res.locals.cspNonce = randomBytes(16).toString('base64');
      next();
    });
    server.use(
      helmet({
        contentSecurityPolicy: {
          directives: {
            'style-src': ["'self'", (_req, res) => `'nonce-${(res as unknown as { locals: { cspNonce: string } }).locals.cspNonce}'`],
            'form-action': ["'self'", kratos.publicUrl],
          },
        },
      }),
    );
    server.use(routes());
    app.set(server);
    const { browser } = await signedInBrowser();
    for (const flow of ['login', 'registration', 'settings', 'recovery', 'verification']) {
      const page = await (flow === 'settings' ? browser : new Browser()).get(`${app.url}/${flow}`);
      expect(page.status).toBe(200);
      const csp = page.headers.get('content-security-policy')!;
      const nonce = /style-src 'self' 'nonce-([^']+)'/.exec(csp)![1];
      const doc = documentOf(page);
      expect(csp).toMatch(/script-src 'self'/);
      for (const script of Array.from(doc.querySelectorAll('script'))) {
        expect(script.getAttribute('src')).toBeTruthy();
        expect(script.textContent).toBe('');
      }
      for (const style of Array.from(doc.querySelectorAll('style'))) expect(style.getAttribute('nonce')).toBe(nonce);
      expect(doc.querySelectorAll('[style]')).toHaveLength(0);
      expect(page.body).not.toMatch(/\son[a-z]+=/i);
    }
  });

  it('works with helmet\'s defaults alone', async () => {
    const server = express();
    server.use(helmet());
    server.use(routes());
    app.set(server);
    const page = await new Browser().get(`${app.url}/login`);
    expect(page.status).toBe(200);
    expect(documentOf(page).querySelectorAll('script:not([src])')).toHaveLength(0);
  });

  it('answers HEAD without a body', async () => {
    app.set(appWith('plain http', routes()));
    const browser = new Browser();
    const login = await browser.get(`${app.url}/login`);
    const head = await fetch(login.url, { method: 'HEAD', headers: { cookie: browser.jar.header(login.url) } });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});

describe.each([5, 4] as const)('an EJS view through res.render on Express %s', (version) => {
  it('renders the flow with the view data, and the form the view renders signs the user in', async () => {
    app.set(ejsApp(version));
    const email = `ejs${version}-${++n}@example.com`;
    await kratos.createIdentity({ traits: { email }, password: 'a-long-secret-1' });
    const browser = new Browser();
    const login = await browser.get(`${app.url}/login`);
    expect(login.status).toBe(200);
    expect(login.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(login.headers.get('cache-control')).toBe('private, no-store');
    const doc = documentOf(login);
    expect(doc.body.className).toBe('page-login');
    expect(doc.querySelector('a.to-registration')?.getAttribute('href')).toBe('/registration');
    const wrong = await browser.submit(login, { identifier: email, password: 'not-the-password' }, { name: 'method', value: 'password' });
    expect(documentOf(wrong).querySelector('.message-error')?.getAttribute('data-id')).toBe('4000006');
    const done = await browser.submit(wrong, { identifier: email, password: 'a-long-secret-1' }, { name: 'method', value: 'password' });
    expect(done.url).toBe(`${app.url}/dashboard`);
  });

  it('gives the settings view the session and the logout URL', async () => {
    app.set(ejsApp(version));
    const { browser, email } = await signedInBrowser();
    const page = await browser.get(`${app.url}/settings`);
    const doc = documentOf(page);
    expect(doc.querySelector('.who')?.textContent).toBe(`Signed in as ${email}`);
    expect(doc.querySelector('a.to-logout')?.getAttribute('href')).toBe('/logout');
    expect(doc.querySelector('form.form-password input[name=password]')).not.toBeNull();
  });

  it('renders the error page through the same view with its status', async () => {
    app.set(ejsApp(version));
    const res = await fetch(`${app.url}/login?aal=aal9`);
    expect(res.status).toBe(400);
    const doc = documentOf({ body: await res.text() } as never);
    expect(doc.querySelector('.status')?.textContent).toBe('Error 400');
    expect(doc.querySelector('.error-message')?.textContent).toMatch(/aal parameter "aal9"/);
  });
});

describe('hooks and custom renderers', () => {
  it('calls onFlow with the view data before rendering, so the app can add its own', async () => {
    const seen: FlowViewData[] = [];
    app.set(
      ejsApp(5, {
        onFlow: async (_req, _res, data) => {
          seen.push(data);
          (data as FlowViewData & { appTitle: string }).appTitle = 'Acme Cloud';
        },
      }),
    );
    const page = await new Browser().get(`${app.url}/registration`);
    expect(documentOf(page).title).toBe('Create an account · Acme Cloud');
    expect(seen).toHaveLength(1);
    expect(seen[0].kind).toBe('registration');
    expect(seen[0].flow?.id).toBe(new URL(page.url).searchParams.get('flow'));
    expect(seen[0].forms.map((f) => f.group)).toEqual(['profile']);
    expect(seen[0].urls).toEqual({ home: '/', login: '/login', registration: '/registration', settings: '/settings', recovery: '/recovery', verification: '/verification' });
  });

  it('renders nothing when onFlow answers the request itself', async () => {
    app.set(
      appWith('Express 5', routes({
        onFlow: (_req, res) => {
          res.statusCode = 418;
          res.end('hooked');
        },
      })),
    );
    const page = await new Browser().get(`${app.url}/login`);
    expect(page.status).toBe(418);
    expect(page.body).toBe('hooked');
  });

  it('hands the data to a render function, which answers with data.status', async () => {
    app.set(
      appWith('plain http', routes({
        render: async (_req, res, data) => {
          res.statusCode = data.status;
          res.end(JSON.stringify({ kind: data.kind, status: data.status, nodes: data.flow?.ui.nodes.length, groups: Object.keys(data.nodesByGroup) }));
        },
      })),
    );
    const page = await new Browser().get(`${app.url}/recovery`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(JSON.parse(page.body)).toEqual({ kind: 'recovery', status: 200, nodes: 3, groups: ['default', 'code'] });
  });

  it('passes a failing render function to the app error handler', async () => {
    app.set(appWith('Express 4', routes({ render: () => Promise.reject(Object.assign(new Error('template broke'), { status: 500, code: 'VIEW' })) })));
    const page = await new Browser().get(`${app.url}/login`);
    expect(page.status).toBe(500);
    expect(page.headers.get('x-error-handler')).toBe('app');
    expect(JSON.parse(page.body).message).toBe('template broke');
  });

  it('explains that a view name needs res.render when the app is not Express', async () => {
    app.set(appWith('Connect', routes({ render: 'flow' })));
    const page = await new Browser().get(`${app.url}/login`);
    expect(page.headers.get('x-error-handler')).toBe('app');
    const body = JSON.parse(page.body);
    expect(body.code).toBe('KRATOS_CONFIG_INVALID');
    expect(body.message).toMatch(/render: "flow" is a view name but res\.render is missing/);
  });

  it('gives other pages the session the app attached with optionalSession()', async () => {
    const seen: FlowViewData[] = [];
    const server = express();
    server.use(optionalSession({ publicUrl: kratos.publicUrl }));
    server.use(routes({ render: (_req, res, data) => void (seen.push(data), res.end('ok')) }));
    app.set(server);
    const { browser, email } = await signedInBrowser();
    await browser.get(`${app.url}/verification`);
    expect(seen).toHaveLength(1);
    expect((seen[0].session?.identity?.traits as { email: string }).email).toBe(email);
    expect(seen[0].urls.logout).toBe('/logout');
  });

  it('documents the EJS template it tests', () => {
    const doc = readFileSync(path.join(__dirname, '../../docs/flows.md'), 'utf8');
    const template = readFileSync(path.join(__dirname, 'views/flow.ejs'), 'utf8');
    expect(doc).toContain(`\`\`\`ejs\n${template}\`\`\``);
  });

  it('links the client script relative to pages on nested paths', async () => {
    app.set(appWith('Express 5', routes({ routes: { settings: '/account/settings' } }), '/auth'));
    const res = await fetch(`${app.url}/auth/kratos-express.js`);
    expect(res.status).toBe(200);
    const { relativeScriptUrl } = await import('../../lib/flows/options');
    expect(new URL(relativeScriptUrl('/account/settings'), `${app.url}/auth/account/settings`).pathname).toBe('/auth/kratos-express.js');
    expect(new URL(relativeScriptUrl('/login'), `${app.url}/auth/login`).pathname).toBe('/auth/kratos-express.js');
  });
});
