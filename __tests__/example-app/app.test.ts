import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import request from 'supertest';
// The example app as a user runs it: plain JavaScript importing the built package by name.
import { startExampleApp, type ExampleApp } from '../../example-app';
import { createCookieJar, type CookieJar } from '../helpers/cookie-jar';

const root = join(__dirname, '../..');
const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
// What a browser sends for a navigation. (Node's fetch always says Sec-Fetch-Mode: cors, like a script's
// fetch(), which the kit answers with JSON; supertest sends these headers as given.)
const NAVIGATION = { ...HTML, 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' };

function documentOf(html: string): Document {
  return new JSDOM(html).window.document;
}

/** The fields a browser would submit for `form` when `submitName=submitValue` is clicked, with `values` typed in. */
function formBody(form: HTMLFormElement, values: Record<string, string>, submit: { name: string; value: string }): URLSearchParams {
  const body = new URLSearchParams();
  for (const input of Array.from(form.querySelectorAll('input'))) {
    if (!input.name || input.type === 'checkbox' || input.type === 'submit') continue;
    body.set(input.name, values[input.name] ?? input.value);
  }
  body.set(submit.name, submit.value);
  return body;
}

async function signIn(app: ExampleApp, jar: CookieJar, email: string, password: string): Promise<Response> {
  const page = await jar.fetch(`${app.url}/login`, { headers: HTML });
  expect(page.status).toBe(200);
  const doc = documentOf(await page.text());
  const form = doc.querySelector<HTMLFormElement>('form[data-group="password"]');
  expect(form).not.toBeNull();
  return jar.fetch(form!.action, {
    method: 'POST',
    headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded' },
    body: formBody(form!, { identifier: email, password }, { name: 'method', value: 'password' }),
  });
}

describe('example app', () => {
  let app: ExampleApp;

  beforeAll(async () => {
    app = await startExampleApp({ port: 0, env: {} });
  });
  afterAll(() => app?.close());

  it('starts on a free loopback port with the embedded emulator and a demo account', () => {
    expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(app.url).not.toBe('http://127.0.0.1:0');
    expect(app.emulator).toBeDefined();
    expect(app.emulator!.baseUrl).toBe(`${app.url}/.ory/`);
    expect(app.kratos).toEqual({ publicUrl: app.emulator!.publicUrl, browserUrl: '/.ory' });
    expect(app.demo!.email).toBe('demo@example.com');
    expect(app.demo!.password.length).toBeGreaterThanOrEqual(8);
  });

  it('shows "Sign in" on the home page without a session', async () => {
    const res = await fetch(`${app.url}/`, { headers: HTML });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const doc = documentOf(await res.text());
    expect(doc.querySelector('[data-testid="signed-out"]')).not.toBeNull();
    expect(doc.querySelector('a[href="/login"]')?.textContent).toBe('Sign in');
  });

  it("sends helmet's default Content-Security-Policy", async () => {
    const res = await fetch(`${app.url}/`, { headers: HTML });
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("form-action 'self'");
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('redirects a browser without a session from /dashboard to login through /.ory with return_to', async () => {
    const res = await request(app.url).get('/dashboard?tab=1').set(NAVIGATION).redirects(0);
    expect(res.status).toBe(303);
    const location = new URL(res.headers.location);
    expect(location.origin + location.pathname).toBe(`${app.url}/.ory/self-service/login/browser`);
    expect(location.searchParams.get('return_to')).toBe(`${app.url}/dashboard?tab=1`);
  });

  it('redirects /secure to login too, and never to another origin for a spoofed Host', async () => {
    const res = await request(app.url).get('/secure').set({ ...NAVIGATION, 'x-forwarded-host': 'evil.example' }).redirects(0);
    expect(res.status).toBe(303);
    expect(res.headers.location.startsWith(`${app.url}/.ory/self-service/login/browser?`)).toBe(true);
  });

  it("answers /api/me without a session with 401 JSON in Kratos' error envelope, never a redirect", async () => {
    for (const headers of [{ accept: 'application/json' }, NAVIGATION, {}]) {
      const res = await request(app.url).get('/api/me').set(headers).redirects(0);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({ error: expect.objectContaining({ code: 401, status: 'Unauthorized' }) });
    }
  });

  it('answers a malformed session cookie with a precise 400, not a crash or a login loop', async () => {
    const res = await fetch(`${app.url}/api/me`, { headers: { cookie: 'ory_kratos_session="bad value\\"' }, redirect: 'manual' });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/ory_kratos_session cookie is malformed/);
  });

  it('signs the demo account in through /.ory and shows the dashboard with the identity and session', async () => {
    const jar = createCookieJar();
    const page = await jar.fetch(`${app.url}/login`, { headers: HTML });
    expect(page.status).toBe(200);
    expect(page.url).toMatch(new RegExp(`^${app.url}/login\\?flow=[0-9a-f-]{36}$`));
    const doc = documentOf(await page.text());
    const form = doc.querySelector<HTMLFormElement>('form[data-group="password"]')!;
    expect(form.action.startsWith(`${app.url}/.ory/self-service/login?flow=`)).toBe(true);
    expect(form.querySelector<HTMLInputElement>('input[name="csrf_token"]')!.value).not.toBe('');
    expect(form.querySelector('label[for="password-identifier"]')).not.toBeNull();

    const done = await jar.fetch(form.action, {
      method: 'POST',
      headers: { ...HTML, 'content-type': 'application/x-www-form-urlencoded' },
      body: formBody(form, { identifier: app.demo!.email, password: app.demo!.password }, { name: 'method', value: 'password' }),
    });
    expect(done.status).toBe(200);
    expect(done.url).toBe(`${app.url}/dashboard`);
    expect(jar.names(app.url)).toContain('ory_kratos_session');
    const dashboard = documentOf(await done.text());
    expect(dashboard.querySelector('[data-testid="email"]')?.textContent).toBe(app.demo!.email);
    expect(dashboard.querySelector('[data-testid="aal"]')?.textContent).toBe('aal1');
    expect(dashboard.querySelector('[data-testid="methods"]')?.textContent).toMatch(/password \(aal1, \d{4}-\d\d-\d\d /);
    expect(dashboard.querySelector('[data-testid="expires"]')?.textContent).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);

    const home = documentOf(await (await jar.fetch(`${app.url}/`, { headers: HTML })).text());
    expect(home.querySelector('[data-testid="signed-in"]')?.textContent).toContain('Demo User');

    const me = await jar.fetch(`${app.url}/api/me`, { headers: { accept: 'application/json' } });
    expect(me.status).toBe(200);
    const body = await me.json();
    expect(body.identity.traits.email).toBe(app.demo!.email);
    expect(body.session).toEqual(expect.objectContaining({ aal: 'aal1', methods: ['password'] }));
  });

  it('shows the wrong-password message on the login page, rendered by the app template', async () => {
    const jar = createCookieJar();
    const res = await signIn(app, jar, app.demo!.email, 'not-the-password');
    expect(res.status).toBe(200);
    expect(res.url).toMatch(new RegExp(`^${app.url}/login\\?flow=`));
    const doc = documentOf(await res.text());
    expect(doc.querySelector('.message.error')?.getAttribute('data-message-id')).toBe('4000006');
    expect(jar.names(app.url)).not.toContain('ory_kratos_session');
  });

  it('sends a signed-in person to the aal2 login for /secure', async () => {
    const jar = createCookieJar();
    await signIn(app, jar, app.demo!.email, app.demo!.password);
    const res = await request(app.url).get('/secure').set({ ...NAVIGATION, cookie: jar.header(app.url) }).redirects(0);
    expect(res.status).toBe(303);
    const location = new URL(res.headers.location);
    expect(location.pathname).toBe('/.ory/self-service/login/browser');
    expect(location.searchParams.get('aal')).toBe('aal2');
    expect(location.searchParams.get('return_to')).toBe(`${app.url}/secure`);
  });

  it('signs out through /logout and then treats the browser as signed out', async () => {
    const jar = createCookieJar();
    await signIn(app, jar, app.demo!.email, app.demo!.password);
    const out = await jar.fetch(`${app.url}/logout`, { headers: HTML });
    expect(out.status).toBe(200);
    expect(jar.names(app.url)).not.toContain('ory_kratos_session');
    const me = await jar.fetch(`${app.url}/api/me`, { headers: { accept: 'application/json' } });
    expect(me.status).toBe(401);
  });

  it('renders a friendly error page for unknown paths, and JSON for JSON clients', async () => {
    const page = await fetch(`${app.url}/no-such-page`, { headers: HTML });
    expect(page.status).toBe(404);
    const doc = documentOf(await page.text());
    expect(doc.querySelector('h1')?.textContent).toBe('Page not found');
    expect(doc.querySelector('[data-testid="status"]')?.textContent).toContain('404');

    const json = await fetch(`${app.url}/no-such-page`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(404);
    expect((await json.json()).error.code).toBe(404);
  });

  it('renders a friendly error page for a Kratos error link with an unknown id', async () => {
    const res = await fetch(`${app.url}/error?id=00000000-0000-4000-8000-000000000000`, { headers: HTML });
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toContain('kratos-express example');
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)/);
  });

  it('keeps the Kratos admin API off the proxy', async () => {
    const res = await fetch(`${app.url}/.ory/admin/identities`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(404);
  });

  it('uses the Kratos of KRATOS_PUBLIC_URL and starts no emulator when it is set', async () => {
    const jar = createCookieJar();
    await signIn(app, jar, app.demo!.email, app.demo!.password);
    const other = await startExampleApp({ port: 0, env: { KRATOS_PUBLIC_URL: app.emulator!.publicUrl, KRATOS_BROWSER_URL: '/.ory' } });
    try {
      expect(other.emulator).toBeUndefined();
      expect(other.demo).toBeUndefined();
      expect(other.kratos).toEqual({ publicUrl: app.emulator!.publicUrl, browserUrl: '/.ory' });
      // The session cookie is host-only for 127.0.0.1, so the same browser is signed in on both ports.
      const me = await jar.fetch(`${other.url}/api/me`, { headers: { accept: 'application/json' } });
      expect(me.status).toBe(200);
      expect((await me.json()).identity.traits.email).toBe(app.demo!.email);
    } finally {
      await other.close();
    }
  });
});

describe('npm start (example-app/server.js)', () => {
  function start(env: Record<string, string>): { child: ChildProcessWithoutNullStreams; output: () => string; exited: Promise<number | null> } {
    const childEnv = { ...process.env, ...env };
    delete childEnv.KRATOS_PUBLIC_URL;
    delete childEnv.KRATOS_BROWSER_URL;
    const child = spawn(process.execPath, [join(root, 'example-app/server.js')], { cwd: root, env: childEnv });
    let text = '';
    child.stdout.on('data', (chunk) => (text += chunk));
    child.stderr.on('data', (chunk) => (text += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, output: () => text, exited };
  }

  async function waitFor(output: () => string, pattern: RegExp, exited: Promise<unknown>): Promise<RegExpMatchArray> {
    const deadline = Date.now() + 20_000;
    let gone = false;
    void exited.then(() => (gone = true));
    for (;;) {
      const match = output().match(pattern);
      if (match) return match;
      if (gone || Date.now() > deadline) throw new Error(`server.js never printed ${pattern}; output:\n${output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`prints the URL and the demo account, serves the app, and stops cleanly on ${signal}`, async () => {
      const { child, output, exited } = start({ PORT: '0' });
      try {
        const [, url] = await waitFor(output, /example app: (http:\/\/127\.0\.0\.1:\d+)\n/, exited);
        const [, email, password] = await waitFor(output, /Demo account: (\S+) \/ (\S+)\n/, exited);
        await waitFor(output, /Press Ctrl-C to stop/, exited);
        expect(email).toBe('demo@example.com');
        expect(password.length).toBeGreaterThanOrEqual(8);
        const res = await fetch(`${url}/`, { headers: HTML });
        expect(res.status).toBe(200);
        child.kill(signal);
        expect(await exited).toBe(0);
        await expect(fetch(`${url}/`)).rejects.toThrow();
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });
  }

  it('refuses an invalid PORT with a message naming it', async () => {
    const { output, exited } = start({ PORT: 'eighty' });
    expect(await exited).toBe(1);
    expect(output()).toContain('PORT: "eighty" is not a port number');
  });
});
