import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UiNode, UiText } from '@ory/kratos-client-fetch';
import request from 'supertest';
import { closeSharedContexts } from '../../lib/context';
import { flowRoutes } from '../../lib/flows';
import { SCRIPT_VERSION } from '../../lib/flows/script';
import { defaultLabels, renderPage, RenderOptionsError, type FlowViewData, type RenderLabels } from '../../lib/render';
import { startFaultyKratos, type FaultyKratos } from '../helpers/faulty-kratos';
import { appWith } from '../flows/helpers';
import { flowUi, inputNode, node, parse, viewData } from '../render/helpers';
import { listen } from '../proxy/helpers';
import { head, rawExchange } from './hostile-headers';
import { asParsed, FORBIDDEN_SELECTOR, foreignMarkup, PAYLOADS, scriptUrls, XSS_PAYLOADS } from './xss-payloads';

/*
 * XSS payloads in every field the built-in renderer prints (node attributes, labels, node and flow messages,
 * message context, secrets, links, the error page, titles, the app name and labels), rendered by renderPage and
 * served by flowRoutes from a Kratos that sends them. Every page is parsed with jsdom: no element or attribute
 * the renderer does not emit, no script but the allowed external ones, no script URL, and each payload shown as
 * text (or an attribute value) exactly where it belongs. (__tests__/render/xss.test.ts holds the first seven.)
 */

const KRATOS_SCRIPT = 'http://127.0.0.1:4433/x.js';
const CLIENT_SCRIPT = 'kratos-express.js';

function uiText(p: string, type = 'info', id = 4000001): UiText {
  return { id, text: p, type, context: { reason: p, property: p, [p]: p } } as UiText;
}

/** Every label of the renderer set to `p`. */
const labelsOf = (p: string): RenderLabels => Object.fromEntries(Object.keys(defaultLabels).map((key) => [key, p])) as unknown as RenderLabels;

/** Nodes carrying `p` in every field a node has; groups `p`, password, webauthn and totp make four forms. */
function hostileNodes(p: string): UiNode[] {
  const meta = { label: uiText(p) };
  return [
    inputNode('csrf_token', 'hidden', { value: p, onclick: p, onload: p }, 'default', {}, [uiText(p, 'error')]),
    inputNode(p, 'text', { value: p, pattern: p, autocomplete: p, placeholder: p, maxlength: p, required: p, label: uiText(p) }, 'default', meta, [uiText(p, 'error'), uiText(p, p)]),
    inputNode(p, p, { value: p, onclick: p }, 'password', meta, [uiText(p, 'error')]),
    inputNode(p, 'checkbox', { value: p, required: p }, p, meta, [uiText(p)]),
    inputNode(p, 'submit', { value: p, onclick: p, onclickTrigger: p, onload: p, onloadTrigger: p }, p, meta, [uiText(p)]),
    inputNode('webauthn_login_trigger', 'button', { value: '', onclick: p, onclickTrigger: 'oryWebAuthnLogin', onload: p }, 'webauthn', meta),
    node('text', p, { id: p, text: { ...uiText(p), context: { secrets: [uiText(p), p, uiText(p, 'info', 1050014)] } } }, meta, [uiText(p)]),
    node('text', 'totp', { id: p, text: uiText(p, 'info', 1050006) }, meta),
    node('text', 'totp', { id: p, text: { id: 4000002, text: '', type: 'info', context: { secret: p } } }, meta),
    node('img', p, { id: p, src: p, width: p, height: p }, meta, [uiText(p)]),
    node('img', 'totp', { id: p, src: `data:image/png;base64,${p}`, width: 1, height: 1 }, meta),
    node('img', 'totp', { id: p, src: 'data:image/png;base64,iVBORw0KGgo=', width: 1, height: 1 }, meta),
    node('a', p, { id: p, href: p, title: uiText(p) }, meta, [uiText(p)]),
    node('script', p, { src: p, id: p, type: p, integrity: p, crossorigin: p, referrerpolicy: p, nonce: p, async: true, onclick: p, onload: p }),
    node('script', 'webauthn', { src: `${KRATOS_SCRIPT}?${p}`, id: p, type: p, integrity: p, crossorigin: p, referrerpolicy: p, async: true, onload: p }),
    node(p, p, { id: p }, meta, [uiText(p)]),
  ] as UiNode[];
}

interface PageCase {
  name: string;
  kind: FlowViewData['kind'];
  /** `data.title` is `p`, or empty so the title comes from the labels (all `p`). */
  titleFrom: 'data' | 'labels';
  refresh?: boolean;
}

const PAGES: PageCase[] = [
  { name: 'login', kind: 'login', titleFrom: 'data' },
  { name: 'login (re-authentication, title from labels)', kind: 'login', titleFrom: 'labels', refresh: true },
  { name: 'registration', kind: 'registration', titleFrom: 'labels' },
  { name: 'settings', kind: 'settings', titleFrom: 'data' },
  { name: 'recovery', kind: 'recovery', titleFrom: 'data' },
  { name: 'verification', kind: 'verification', titleFrom: 'labels' },
  { name: 'error', kind: 'error', titleFrom: 'data' },
];

function hostilePage(p: string, page: PageCase): FlowViewData {
  const messages = [uiText(p, 'error'), uiText(p, 'info'), uiText(p, 'success'), uiText(p, p)];
  const ui = { ...flowUi('login', hostileNodes(p), messages), action: p, method: p };
  const data = viewData(page.kind, ui, {
    title: page.titleFrom === 'data' ? p : '',
    urls: { home: p, login: p, registration: p, recovery: p, verification: p, settings: p, logout: p },
    error: { id: p, error: { id: p, code: p, status: p, message: p, reason: p, details: { [p]: p }, request: p, debug: p } } as FlowViewData['error'],
  });
  Object.assign(data.flow!, { refresh: page.refresh === true, return_to: p, request_url: p, requested_aal: p });
  return data;
}

/** Messages in a hostile page: 4 of the flow, 3 of the default nodes in each of the 4 forms, 1 password node, 6 nodes of group `p`. */
const MESSAGES = 4 + 3 * 4 + 1 + 6;

const texts = (doc: Document, selector: string) => Array.from(doc.querySelectorAll(selector)).map((element) => element.textContent);

/**
 * The structural checks every rendered page must pass, whatever the payload. Scripts: none inline; the kit's
 * client script (`client`, when the page needs it) last; before it only external http(s) scripts whose `src` is
 * one of `kratosSources` (what Kratos' script nodes carried).
 */
function expectNoInjectedMarkup(doc: Document, client: string | undefined, kratosSources: string[]): void {
  expect(foreignMarkup(doc)).toEqual([]);
  expect(Array.from(doc.querySelectorAll(FORBIDDEN_SELECTOR)).map((e) => e.outerHTML)).toEqual([]);
  expect(scriptUrls(doc)).toEqual([]);
  const scripts = Array.from(doc.querySelectorAll('script'));
  expect(scripts.filter((s) => s.textContent !== '' || !s.hasAttribute('src')).map((s) => s.outerHTML)).toEqual([]);
  const sources = scripts.map((s) => s.getAttribute('src')!);
  if (client !== undefined) expect(sources.pop()).toBe(client);
  expect(sources.filter((src) => !kratosSources.includes(src) || !/^https?:\/\//i.test(src))).toEqual([]);
  expect(doc.querySelectorAll('head > meta')).toHaveLength(3);
  expect(doc.querySelectorAll('title, style, h1, main')).toHaveLength(4);
}

/** The payload, as text or attribute value, in every place a hostile flow page prints it (see hostileNodes). */
function expectPayloadInPlace(doc: Document, p: string, errorStatus?: number): void {
  const text = asParsed(p, 'text');
  const attribute = asParsed(p, 'attribute');
  expect(doc.querySelector('title')!.textContent).toBe(asParsed(`${p} – ${p}`, 'rcdata'));
  expect(doc.querySelector('h1')!.textContent).toBe(text);
  expect(doc.querySelector('.kratos-app-name')!.textContent).toBe(text);
  expect(texts(doc, '[role="alert"] > .kratos-message')).toEqual([text]);
  expect(texts(doc, '[role="status"] > .kratos-message')).toEqual([text, text, text]);
  const field = doc.querySelector('input.kratos-input')!;
  expect([field.getAttribute('name'), field.getAttribute('value'), field.getAttribute('pattern'), field.getAttribute('autocomplete')]).toEqual([attribute, attribute, attribute, attribute]);
  expect(field.hasAttribute('placeholder') || field.hasAttribute('maxlength') || field.hasAttribute('required')).toBe(false);
  expect(doc.querySelector(`label[for="${field.id}"]`)!.textContent).toBe(text);
  expect(field.getAttribute('aria-describedby')!.split(' ').map((id) => doc.getElementById(id)!.textContent)).toEqual([text, text]);
  expect(doc.querySelector('input[name="csrf_token"]')!.getAttribute('value')).toBe(attribute);
  const submit = doc.querySelector('button[type="submit"]')!;
  expect([submit.getAttribute('name'), submit.getAttribute('value'), submit.textContent]).toEqual([attribute, attribute, text]);
  expect(texts(doc, 'label.kratos-label')).toEqual(Array(6).fill(text)); // the default field in each of the four forms, two more
  expect(texts(doc, '.kratos-text-heading')).toEqual(Array(3).fill(text));
  expect(texts(doc, 'code.kratos-secret')).toEqual(Array(4).fill(text));
  expect(texts(doc, '.kratos-secret--used')).toEqual([text]);
  expect(doc.querySelector('.kratos-image img')!.getAttribute('alt')).toBe(attribute);
  expect(texts(doc, '.kratos-anchor .kratos-link')).toEqual([text]);
  expect(texts(doc, '.kratos-node--unknown > p:not(.kratos-message)')).toEqual([text]);
  expect(new Set(texts(doc, '.kratos-message'))).toEqual(new Set([text]));
  expect(doc.querySelectorAll('.kratos-message')).toHaveLength(MESSAGES);
  if (errorStatus !== undefined) {
    expect(texts(doc, '.kratos-error-message, .kratos-error-reason')).toEqual([text, text]);
    expect(doc.querySelector('.kratos-error-status')!.textContent).toBe(asParsed(`${p} ${errorStatus} · ${p}`, 'text'));
  }
}

describe('renderPage with a payload in every field', () => {
  describe.each(XSS_PAYLOADS)('%s', (_trick, p) => {
    describe.each(PAGES)('on the $name page', (page) => {
      const doc = parse(renderPage(hostilePage(p, page), { appName: p, labels: labelsOf(p) }));
      const attribute = asParsed(p, 'attribute');

      // Only the renderer's own elements and attributes; scripts only from Kratos' origin and the kit's own file.
      it('creates no element, attribute, inline script or script URL', () => {
        expectNoInjectedMarkup(doc, CLIENT_SCRIPT, [`${KRATOS_SCRIPT}?${attribute}`, attribute]);
        expect(doc.querySelectorAll('form')).toHaveLength(4);
      });

      // The payload is text (or an attribute value) exactly where the field belongs.
      it('shows the payload verbatim in its place', () => {
        expectPayloadInPlace(doc, p, page.kind === 'error' ? 200 : undefined);
        for (const link of Array.from(doc.querySelectorAll('nav a'))) expect([link.getAttribute('href'), link.textContent]).toEqual([attribute, asParsed(p, 'text')]);
      });
    });

    // App-chosen URLs: refused unless http(s) or relative, then printed only as attribute values.
    it('puts a stylesheet or client script URL only in its attribute, or refuses it', () => {
      let html: string;
      try {
        html = renderPage(hostilePage(p, PAGES[0]), { stylesheet: p, clientScriptUrl: p });
      } catch (err) {
        expect(err).toBeInstanceOf(RenderOptionsError);
        expect((err as RenderOptionsError).problems.map((problem) => problem.split(':')[0])).toEqual(['stylesheet', 'clientScriptUrl']);
        return;
      }
      const doc = parse(html);
      expectNoInjectedMarkup(doc, asParsed(p, 'attribute'), [`${KRATOS_SCRIPT}?${asParsed(p, 'attribute')}`, asParsed(p, 'attribute')]);
      expect(doc.querySelector('link[rel="stylesheet"]')!.getAttribute('href')).toBe(asParsed(p, 'attribute'));
    });
  });

  it('tests at least 30 distinct payloads', () => {
    expect(new Set(PAYLOADS).size).toBeGreaterThanOrEqual(30);
  });
});

describe('flowRoutes over HTTP, with Kratos sending the payloads', () => {
  const FLOW_ID = randomUUID();
  const REFUSED_FLOW_ID = randomUUID();
  const ERROR_ID = randomUUID();
  const PAGE_SCRIPT = `${CLIENT_SCRIPT}?v=${SCRIPT_VERSION}`;
  let faulty: FaultyKratos;
  beforeAll(async () => {
    faulty = await startFaultyKratos('status500');
  });
  afterAll(async () => {
    await closeSharedContexts();
    await faulty.close();
  });

  /** Nodes as Kratos' JSON carries them (an unknown node type keeps a node_type the SDK knows). */
  const wireNodes = (p: string) =>
    hostileNodes(p).map((n) => (['input', 'text', 'img', 'a', 'script'].includes(n.type) ? n : { ...n, attributes: { node_type: 'text', id: p, text: uiText(p) } }));

  /** A Kratos answering every flow with the hostile nodes, the error with a hostile container, logout with a hostile 400. */
  function kratosSending(p: string) {
    return (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://kratos.invalid');
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const flow = /^\/self-service\/(\w+)\/flows$/.exec(url.pathname)?.[1];
      if (url.pathname === '/self-service/errors') {
        return send(200, { id: p, error: { id: p, code: 403, status: p, message: p, reason: p, details: { [p]: p }, request: p }, created_at: new Date().toISOString() });
      }
      if (url.pathname === '/self-service/logout/browser') return send(400, { error: { code: 400, status: 'Bad Request', reason: p, message: p } });
      if (flow && url.searchParams.get('id') === REFUSED_FLOW_ID) return send(400, { error: { id: 'hostile_error', code: 400, status: p, message: p, reason: p } });
      if (flow) {
        const now = Date.now();
        return send(200, {
          id: FLOW_ID, type: 'browser', state: 'choose_method', refresh: false, request_url: p, return_to: `/${p}`,
          issued_at: new Date(now).toISOString(), expires_at: new Date(now + 600_000).toISOString(),
          ui: { action: p, method: p, messages: [uiText(p, 'error'), uiText(p, 'info'), uiText(p, 'success'), uiText(p, p)], nodes: wireNodes(p) },
        });
      }
      send(404, { error: { code: 404, status: 'Not Found', message: 'Not Found' } });
    };
  }

  /** Status and parsed page of a response; every page is HTML and creates no markup of its own. */
  function pageOf(res: { status: number; headers: Record<string, string>; text: string }, client?: string, kratosSources: string[] = []) {
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const doc = parse(res.text);
    expectNoInjectedMarkup(doc, client, kratosSources);
    return doc;
  }

  /** An error page the kit raises itself: its message shown verbatim, with the status line of `status`. */
  function expectKitError(doc: Document, p: string, status: number, message: string) {
    expect(doc.querySelector('title')!.textContent).toBe(asParsed(`${p} – ${p}`, 'rcdata'));
    expect(texts(doc, '.kratos-error-message')).toEqual([asParsed(message, 'text')]);
    expect(doc.querySelector('.kratos-error-status')!.textContent).toBe(asParsed(`${p} ${status} · Bad Request`, 'text'));
  }

  /** Printable ASCII without surrounding spaces: what can travel in a Host header unchanged. */
  const headerSafe = (p: string) => /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(p);

  describe.each(XSS_PAYLOADS)('%s', (_trick, p) => {
    const options = { publicUrl: '', appName: p, labels: labelsOf(p) };
    let app: ReturnType<typeof appWith>;
    beforeAll(() => {
      faulty.setBehaviour(kratosSending(p));
      options.publicUrl = faulty.url;
      app = appWith('Express 5', flowRoutes(options));
    });
    const text = asParsed(p, 'text');
    const attribute = asParsed(p, 'attribute');
    const kratosSources = [`${KRATOS_SCRIPT}?${attribute}`, attribute];

    it('renders the login flow: no markup of its own, the payload in every field', async () => {
      const res = await request(app).get(`/login?flow=${FLOW_ID}`).expect(200);
      const doc = pageOf(res, PAGE_SCRIPT, kratosSources);
      expectPayloadInPlace(doc, p);
      expect(Array.from(doc.querySelectorAll('nav a')).map((a) => [a.getAttribute('href'), a.textContent])).toEqual([['/registration', text], ['/recovery', text]]);
    });

    it("renders the settings flow with the flow's return_to as the only link, made safe", async () => {
      const res = await request(app).get(`/settings?flow=${FLOW_ID}`).expect(200);
      const doc = pageOf(res, PAGE_SCRIPT, kratosSources);
      expect(doc.querySelector('h1')!.textContent).toBe(text);
      const links = Array.from(doc.querySelectorAll('nav a'));
      expect(links.map((a) => a.textContent)).toEqual([text]);
      const origin = `http://${res.request.url.split('/')[2]}`;
      expect(['/', new URL(`/${p}`, origin).href]).toContain(links[0].getAttribute('href'));
    });

    it("renders Kratos' error container: message, reason and status text as text", async () => {
      const res = await request(app).get(`/error?id=${ERROR_ID}`).expect(403);
      const doc = pageOf(res);
      expect(doc.querySelector('title')!.textContent).toBe(asParsed(`${p} – ${p}`, 'rcdata'));
      expect(texts(doc, 'h1, .kratos-app-name, .kratos-error-message, .kratos-error-reason')).toEqual([text, text, text, text]);
      expect(doc.querySelector('.kratos-error-status')!.textContent).toBe(asParsed(`${p} 403 · ${p}`, 'text'));
      expect(doc.querySelectorAll('form')).toHaveLength(0);
    });

    it("renders a flow Kratos refuses with a 400 error body as the error page", async () => {
      const res = await request(app).get(`/registration?flow=${REFUSED_FLOW_ID}`).expect(400);
      const doc = pageOf(res);
      expect(texts(doc, '.kratos-error-message, .kratos-error-reason')).toEqual([text, text]);
      expect(doc.querySelector('.kratos-error-status')!.textContent).toBe(asParsed(`${p} 400 · ${p}`, 'text'));
    });

    it("renders Kratos' reason for refusing a logout as the error page's message", async () => {
      const res = await request(app).get('/logout').set('Cookie', 'ory_kratos_session=abc').expect(400);
      expectKitError(pageOf(res), p, 400, p);
    });

    it('reflects a hostile ?flow= only as text of the error message', async () => {
      const res = await request(app).get(`/login?flow=${encodeURIComponent(p)}`).expect(400);
      const shown = JSON.stringify(p.length > 80 ? `${p.slice(0, 80)}...` : p);
      expectKitError(pageOf(res), p, 400, `The flow parameter ${shown} is not a flow id. Start again from the login page.`);
    });

    it('reflects a hostile ?return_to= only as text of the error message', async () => {
      const res = await request(app).get(`/recovery?return_to=${encodeURIComponent(p)}`).expect(400);
      const shown = JSON.stringify(p.length > 100 ? `${p.slice(0, 100)}...` : p);
      expectKitError(pageOf(res), p, 400, `The return_to parameter ${shown} is not allowed: it must be a path of this site or an allowed URL.`);
    });

    // Only payloads a Host header can carry unchanged (Node refuses control characters there).
    if (headerSafe(p)) it('reflects a hostile Host header only as text of the error message', async () => {
      const served = await listen(appWith('Express 5', flowRoutes({ ...options, browserUrl: '/.ory' })));
      try {
        const exchange = await rawExchange(Number(new URL(served.url).port), head('GET /login HTTP/1.1', [`Host: ${p}`, 'Connection: close']));
        expect(exchange.responses.map((r) => r.status)).toEqual([400]);
        const { headers, body } = exchange.responses[0];
        expectKitError(pageOf({ status: 400, headers, text: body }), p, 400, `The request's Host header ${JSON.stringify(p)} is missing or malformed.`);
      } finally {
        await served.close();
      }
    });
  });
});
