import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import helmet from 'helmet';
import request from 'supertest';
import { JSDOM, VirtualConsole } from 'jsdom';
import { clientScript, clientScriptPath, renderPage } from '../../lib/render';
import { flowUi, inlineHandlers, inlineScripts, inputNode, label, node, parse, viewData } from './helpers';

const KRATOS_SCRIPT = `
window.calls = window.calls || [];
window.oryWebAuthnLogin = function () { window.calls.push('click:oryWebAuthnLogin'); };
window.oryPasskeyLoginAutocompleteInit = function () { window.calls.push('load:oryPasskeyLoginAutocompleteInit'); };
window.notOry = function () { window.calls.push('notOry'); };
`;

function loginData(base: string) {
  const nodes = [
    inputNode('csrf_token', 'hidden', { value: 'tok', required: true }),
    inputNode('identifier', 'text', { value: '', autocomplete: 'username webauthn' }, 'default', label('E-Mail')),
    node('script', 'webauthn', { src: `${base}/.well-known/ory/webauthn.js`, async: true, id: 'webauthn_script', crossorigin: 'anonymous', referrerpolicy: 'no-referrer', type: 'text/javascript', integrity: '', nonce: '' }),
    inputNode('webauthn_login_trigger', 'button', { value: '', onclick: 'window.__oryWebAuthnLogin({})', onclickTrigger: 'oryWebAuthnLogin' }, 'webauthn', label('Sign in with hardware key', 1010008)),
    inputNode('passkey_login_trigger', 'button', { value: '', onloadTrigger: 'oryPasskeyLoginAutocompleteInit' }, 'passkey', label('Sign in with passkey', 1010021)),
  ];
  return viewData('login', flowUi('login', nodes));
}

let server: Server;
let base: string;

beforeAll(async () => {
  const app = express();
  app.get('/.well-known/ory/webauthn.js', (_req, res) => {
    res.type('text/javascript').send(KRATOS_SCRIPT);
  });
  app.get(`/auth/${clientScriptPath}`, (_req, res) => {
    res.type('text/javascript').send(clientScript);
  });
  app.get('/default-csp/auth/login', helmet(), (_req, res) => {
    res.type('html').send(renderPage(loginData(base)));
  });
  app.use('/auth', (_req, res, next) => {
    res.locals.cspNonce = randomBytes(16).toString('base64');
    next();
  });
  const nonce = (_req: IncomingMessage, res: ServerResponse) => `'nonce-${(res as unknown as { locals: { cspNonce: string } }).locals.cspNonce}'`;
  app.get(
    '/auth/login',
    helmet({ contentSecurityPolicy: { directives: { scriptSrc: ["'self'", nonce], styleSrc: ["'self'", nonce] } } }),
    (_req, res) => {
      res.type('html').send(renderPage(loginData(base), { nonce: res.locals.cspNonce }));
    },
  );
  await new Promise<void>((resolve, reject) => {
    server = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve()));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function loadInBrowser(path: string): Promise<JSDOM> {
  const virtualConsole = new VirtualConsole();
  const dom = await JSDOM.fromURL(`${base}${path}`, { runScripts: 'dangerously', resources: 'usable', virtualConsole });
  for (let attempt = 0; attempt < 200 && dom.window.document.readyState !== 'complete'; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(dom.window.document.readyState).toBe('complete');
  return dom;
}

describe('the page under helmet Content-Security-Policy', () => {
  it('has no inline script and no inline handler under helmet defaults, so script-src \'self\' suffices', async () => {
    const response = await request(base).get('/default-csp/auth/login').expect(200);
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['content-security-policy']).toContain("script-src-attr 'none'");
    const doc = parse(response.text);
    expect(inlineScripts(doc)).toBe(0);
    expect(inlineHandlers(doc)).toEqual([]);
    expect(doc.querySelector('style')!.hasAttribute('nonce')).toBe(false);
  });

  it('carries the nonce of the CSP header on every style and script element', async () => {
    const response = await request(base).get('/auth/login').expect(200);
    const nonce = /'nonce-([^']+)'/.exec(response.headers['content-security-policy'])![1];
    const doc = parse(response.text);
    const elements = Array.from(doc.querySelectorAll('style, script'));
    expect(elements.map((element) => element.tagName)).toEqual(['STYLE', 'SCRIPT', 'SCRIPT']);
    for (const element of elements) expect(element.getAttribute('nonce')).toBe(nonce);
  });

  it('serves the client script that the page points to', async () => {
    const page = parse((await request(base).get('/auth/login')).text);
    const src = page.querySelector(`script[src$="${clientScriptPath}"]`)!.getAttribute('src')!;
    const script = await request(base).get(new URL(src, `${base}/auth/login`).pathname).expect(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.text).toBe(clientScript);
  });
});

describe('the client script in a browser', () => {
  it('calls onload triggers after Kratos\' script has loaded', async () => {
    const dom = await loadInBrowser('/auth/login');
    expect((dom.window as unknown as { calls: string[] }).calls).toEqual(['load:oryPasskeyLoginAutocompleteInit']);
    dom.window.close();
  });

  it('calls window[onclickTrigger]() when the button is clicked', async () => {
    const dom = await loadInBrowser('/auth/login');
    const button = dom.window.document.querySelector<HTMLButtonElement>('button[name="webauthn_login_trigger"]')!;
    button.click();
    expect((dom.window as unknown as { calls: string[] }).calls).toContain('click:oryWebAuthnLogin');
    dom.window.close();
  });

  it('ignores trigger names that are not Kratos functions', async () => {
    const dom = await loadInBrowser('/auth/login');
    const { document } = dom.window;
    const rogue = document.createElement('button');
    rogue.type = 'button';
    rogue.setAttribute('data-kratos-onclick-trigger', 'notOry');
    document.body.appendChild(rogue);
    rogue.click();
    expect((dom.window as unknown as { calls: string[] }).calls).not.toContain('notOry');
    dom.window.close();
  });
});
