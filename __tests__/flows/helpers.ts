import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import connect from 'connect';
import express from 'express';
import { JSDOM } from 'jsdom';
import { request as undiciRequest } from 'undici';
import { createCookieJar, type CookieJar } from '../helpers/cookie-jar';
import { startEmulator, type StartEmulatorOptions, type TestEmulator } from '../helpers/emulator';

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const express4 = require('express4') as typeof express;

export type Framework = 'Express 5' | 'Express 4' | 'Connect' | 'plain http';
type Next = (err?: unknown) => void;
type Middleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

/** Error handler of the test apps: JSON `{ code, status, message }` with header `x-error-handler: app`. */
export function reportError(err: unknown, _req: IncomingMessage, res: ServerResponse): void {
  const e = err as { code?: string; status?: number; message?: string };
  res.statusCode = e.status ?? 500;
  res.setHeader('content-type', 'application/json');
  res.setHeader('x-error-handler', 'app');
  res.end(JSON.stringify({ code: e.code ?? null, status: e.status ?? null, message: e.message ?? String(err) }));
}

function notFound(_req: IncomingMessage, res: ServerResponse): void {
  res.statusCode = 404;
  res.setHeader('x-fallthrough', 'app');
  res.end('not ours');
}

/** An app of the given framework with `middleware` mounted at `mount`, a 404 fallthrough and {@link reportError}. */
export function appWith(framework: Framework, middleware: Middleware, mount = ''): RequestListener {
  switch (framework) {
    case 'Express 5':
    case 'Express 4': {
      const app = framework === 'Express 5' ? express() : express4();
      if (mount) app.use(mount, middleware);
      else app.use(middleware);
      app.use(notFound);
      app.use((err: unknown, req: IncomingMessage, res: ServerResponse, _next: Next) => reportError(err, req, res));
      return app as unknown as RequestListener;
    }
    case 'Connect': {
      const app = connect();
      if (mount) app.use(mount, middleware);
      else app.use(middleware);
      app.use(notFound);
      app.use((err: unknown, req: IncomingMessage, res: ServerResponse, _next: Next) => reportError(err, req, res));
      return app as unknown as RequestListener;
    }
    case 'plain http':
      return function plain(req, res) {
        middleware(req, res, (err) => (err ? reportError(err, req, res) : notFound(req, res)));
      };
  }
}

/** A loopback server whose handler can be set after it listens (the emulator needs its URL first). */
export interface LateServer {
  url: string;
  set(handler: RequestListener): void;
  close(): Promise<void>;
}

export async function startLateServer(): Promise<LateServer> {
  let handler: RequestListener = (_req, res) => {
    res.statusCode = 503;
    res.end('not ready');
  };
  const server: Server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    set(next) {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Emulator overrides pointing every `ui_url` at the app's flow routes under `mount`. */
export function uiOverrides(appUrl: string, mount = ''): Record<string, unknown> {
  const ui = (name: string) => ({ ui_url: `${appUrl}${mount}/${name}` });
  return {
    selfservice: {
      default_browser_return_url: `${appUrl}/dashboard`,
      allowed_return_urls: [appUrl],
      flows: {
        error: ui('error'),
        login: ui('login'),
        registration: ui('registration'),
        settings: ui('settings'),
        recovery: ui('recovery'),
        verification: { ...ui('verification'), after: { default_browser_return_url: `${appUrl}/dashboard` } },
        logout: { after: { default_browser_return_url: `${appUrl}${mount}/login` } },
      },
    },
  };
}

/** Starts the app server and the emulator, the emulator's ui_urls pointing at the app. */
export async function startPair(mount = '', options: StartEmulatorOptions = {}): Promise<{ app: LateServer; kratos: TestEmulator }> {
  const app = await startLateServer();
  const overrides = uiOverrides(app.url, mount);
  const kratos = await startEmulator({ ...options, overrides: deepMerge(overrides, options.overrides ?? {}) });
  return { app, kratos };
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const current = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object' && !Array.isArray(current)
        ? deepMerge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

/** One response of the browser, with the body read. */
export interface Page {
  url: string;
  status: number;
  headers: Headers;
  body: string;
  /** Every URL visited, redirects included. */
  hops: string[];
}

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/**
 * A browser tab (on undici's `request`, because `fetch` adds `Sec-Fetch-Mode: cors`): navigations carry `Accept: text/html` and `Sec-Fetch-Mode: navigate` as browsers send them, a cookie jar, following redirects itself hop by hop (at most `maxHops`), posting forms as
 * `application/x-www-form-urlencoded` to their action exactly as a browser would.
 */
export class Browser {
  readonly jar: CookieJar = createCookieJar();
  /** The page the tab shows (sets `Sec-Fetch-Site` of the next navigation, as browsers do). */
  lastUrl?: string;
  constructor(readonly maxHops = 15, readonly storeCookies = true) {}

  async request(url: string, init: { method?: string; body?: string } = {}): Promise<Page> {
    const hops: string[] = [];
    let method = init.method ?? 'GET';
    let body = init.body;
    let current = url;
    let previous = this.lastUrl;
    for (let hop = 0; hop <= this.maxHops; hop++) {
      hops.push(current);
      const headers: Record<string, string> = {
        accept: BROWSER_ACCEPT,
        'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) kratos-express-tests',
        'sec-fetch-mode': 'navigate',
        'sec-fetch-dest': 'document',
        'sec-fetch-site': previous === undefined ? 'none' : new URL(previous).origin === new URL(current).origin ? 'same-origin' : 'same-site',
      };
      const cookie = this.jar.header(current);
      if (cookie) headers.cookie = cookie;
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      const response = await undiciRequest(current, { method: method as 'GET', headers, body });
      const responseHeaders = new Headers();
      for (const [name, value] of Object.entries(response.headers)) {
        for (const one of Array.isArray(value) ? value : [value]) if (one !== undefined) responseHeaders.append(name, String(one));
      }
      if (this.storeCookies) this.jar.store(current, responseHeaders);
      const location = responseHeaders.get('location');
      const status = response.statusCode;
      if (status >= 300 && status < 400 && location) {
        await response.body.dump();
        previous = current;
        current = new URL(location, current).href;
        if (status === 303 || method === 'POST') {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      this.lastUrl = current;
      return { url: current, status, headers: responseHeaders, body: await response.body.text(), hops };
    }
    throw new Error(`more than ${this.maxHops} redirects: ${hops.join(' -> ')}`);
  }

  get(url: string): Promise<Page> {
    return this.request(url);
  }

  /**
   * Submits the form of `page` that contains a submit button `name=value` (or the only form), with the
   * form's own fields overridden by `fields`, to the form's action, with the form's method.
   */
  submit(page: Page, fields: Record<string, string>, button?: { name: string; value: string }): Promise<Page> {
    const form = findForm(page, button);
    const data = new URLSearchParams();
    const overridden = new Set(Object.keys(fields));
    for (const element of Array.from(form.elements) as HTMLInputElement[]) {
      if (!element.name || element.disabled) continue;
      const type = (element.getAttribute('type') ?? 'text').toLowerCase();
      if (type === 'submit' || type === 'button') continue;
      if ((type === 'checkbox' || type === 'radio') && !element.checked) continue;
      if (overridden.has(element.name)) continue;
      data.append(element.name, element.value);
    }
    for (const [name, value] of Object.entries(fields)) data.append(name, value);
    if (button) data.append(button.name, button.value);
    const action = new URL(form.getAttribute('action') ?? page.url, page.url).href;
    const method = (form.getAttribute('method') ?? 'GET').toUpperCase();
    if (method === 'GET') {
      const target = new URL(action);
      for (const [name, value] of data) target.searchParams.append(name, value);
      return this.get(target.href);
    }
    return this.request(action, { method, body: data.toString() });
  }
}

export function documentOf(page: Page): Document {
  return new JSDOM(page.body).window.document;
}

function findForm(page: Page, button?: { name: string; value: string }): HTMLFormElement {
  const forms = Array.from(documentOf(page).querySelectorAll('form'));
  const matching = button
    ? forms.filter((form) =>
        Array.from(form.querySelectorAll('button, input')).some(
          (el) => el.getAttribute('name') === button.name && el.getAttribute('value') === button.value && /submit/i.test(el.getAttribute('type') ?? 'submit'),
        ),
      )
    : forms;
  if (matching.length === 0) throw new Error(`no form${button ? ` with a ${button.name}=${button.value} button` : ''} on ${page.url}:\n${page.body.slice(0, 2000)}`);
  return matching[0];
}

/** The text of the page's `<title>`. */
export function titleOf(page: Page): string {
  return documentOf(page).title;
}

/** Every message text shown on the page (flow and field messages). */
export function textOf(page: Page): string {
  return documentOf(page).body?.textContent ?? '';
}
