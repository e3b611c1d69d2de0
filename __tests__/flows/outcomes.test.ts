import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { closeSharedContexts, contextFor } from '../../lib/context';
import { flowRoutes } from '../../lib/flows';
import type { TestEmulator } from '../helpers/emulator';
import { appWith, Browser, documentOf, startPair, textOf, type LateServer } from './helpers';

let app: LateServer;
let kratos: TestEmulator;
const options = () => ({ publicUrl: kratos.publicUrl, cache: { ttl: '1m' } });

beforeAll(async () => {
  ({ app, kratos } = await startPair());
  app.set(appWith('Express 5', flowRoutes(options())));
});
afterAll(async () => {
  await closeSharedContexts();
  await app.close();
  await kratos.close();
});

const flowIdOf = (url: string) => new URL(url).searchParams.get('flow');
let n = 0;
async function signedIn(browser: Browser, identity?: { id: string }, aal: 'aal1' | 'aal2' = 'aal1') {
  const id = identity?.id ?? ((await kratos.createIdentity({ traits: { email: `outcome${++n}@example.com` }, password: 'a-long-secret-1' })).id as string);
  const { cookie, session } = await kratos.createSession(id, { aal });
  browser.jar.set(`${cookie}; Path=/`, kratos.publicUrl);
  return { id, cookie, session };
}

describe('a flow with ?flow=', () => {
  it('is fetched with the browser cookies and rendered as a private HTML page', async () => {
    const browser = new Browser();
    const page = await browser.get(`${app.url}/login`);
    expect(page.hops).toEqual([`${app.url}/login`, `${kratos.publicUrl}/self-service/login/browser`, expect.stringMatching(/\/login\?flow=/)]);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('private, no-store');
    const form = documentOf(page).querySelector('form')!;
    expect(form.getAttribute('action')).toBe(`${kratos.publicUrl}/self-service/login?flow=${flowIdOf(page.url)}`);
    expect(form.querySelector('input[name=csrf_token]')?.getAttribute('value')).toMatch(/^[A-Za-z0-9+/=]{88}$/);
  });

  it('starts a fresh flow when the flow expired (410), keeping its return_to', async () => {
    const browser = new Browser();
    const first = await browser.get(`${app.url}/login?return_to=${encodeURIComponent(`${app.url}/orders`)}`);
    kratos.expireFlow(flowIdOf(first.url)!);
    const page = await browser.get(first.url);
    expect(page.status).toBe(200);
    expect(flowIdOf(page.url)).not.toBe(flowIdOf(first.url));
    const init = new URL(page.hops[1]);
    expect(init.pathname).toBe('/self-service/login/browser');
    expect(init.searchParams.get('return_to')).toBe(`${app.url}/orders`);
  });

  it('starts a fresh flow when Kratos does not know the flow (404), keeping the query return_to', async () => {
    const browser = new Browser();
    const page = await browser.get(`${app.url}/registration?flow=${randomUUID()}&return_to=/orders`);
    expect(page.status).toBe(200);
    expect(new URL(page.hops[1]).searchParams.get('return_to')).toBe(`${app.url}/orders`);
    expect(documentOf(page).querySelector('input[name="traits.email"]')).not.toBeNull();
  });

  it('starts a fresh flow after a CSRF violation (flow opened in another browser) and clears the retry marker', async () => {
    const first = await new Browser().get(`${app.url}/login`);
    const other = new Browser();
    const page = await other.get(first.url);
    expect(page.status).toBe(200);
    expect(page.hops[1]).toMatch(/\/login\?csrf_retry=1$/);
    expect(flowIdOf(page.url)).not.toBe(flowIdOf(first.url));
    expect(other.jar.names(app.url)).not.toContain('kratos_express_retry');
  });

  it('ends on an error page, not in a loop, when the browser keeps no cookies at all', async () => {
    const first = await new Browser().get(`${app.url}/login`);
    const page = await new Browser(15, false).get(first.url);
    expect(page.status).toBe(403);
    expect(page.hops.length).toBeLessThanOrEqual(3);
    expect(textOf(page)).toMatch(/This page needs cookies/);
  });

  it('ends on an error page, not in a loop, when the CSRF cookie keeps getting lost', async () => {
    const browser = new Browser();
    const store = browser.jar.store.bind(browser.jar);
    browser.jar.store = (url, source) => {
      store(url, source);
      for (const name of browser.jar.names(url)) if (name.startsWith('csrf_token_')) browser.jar.set(`${name}=; Max-Age=0; Path=/`, url);
    };
    const first = await new Browser().get(`${app.url}/login`);
    const page = await browser.get(first.url);
    expect(page.status).toBe(403);
    expect(page.hops.length).toBeLessThanOrEqual(10);
    expect(textOf(page)).toMatch(/could not be verified/);
    expect(browser.jar.names(app.url)).not.toContain('kratos_express_retry');
  });

  it('sends a browser without a session to login with return_to when the settings flow needs one (401)', async () => {
    const owner = new Browser();
    await signedIn(owner);
    const settings = await owner.get(`${app.url}/settings`);
    expect(settings.status).toBe(200);
    const res = await fetch(settings.url, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(res.status).toBe(303);
    const to = new URL(res.headers.get('location')!);
    expect(`${to.origin}${to.pathname}`).toBe(`${kratos.publicUrl}/self-service/login/browser`);
    expect(to.searchParams.get('return_to')).toBe(`${app.url}/settings`);
  });

  it('restarts a settings flow that belongs to another identity', async () => {
    const owner = new Browser();
    await signedIn(owner);
    const settings = await owner.get(`${app.url}/settings`);
    const intruder = new Browser();
    await signedIn(intruder);
    const page = await intruder.get(settings.url);
    expect(page.status).toBe(200);
    expect(flowIdOf(page.url)).not.toBe(flowIdOf(settings.url));
  });

  it('follows redirect_browser_to to Kratos when the settings flow needs a second factor (session_aal2_required)', async () => {
    const identity = await kratos.createIdentity({ traits: { email: `aal2-${++n}@example.com` }, password: 'a-long-secret-1', totp: true });
    const strong = new Browser();
    await signedIn(strong, identity as { id: string }, 'aal2');
    const settings = await strong.get(`${app.url}/settings`);
    expect(settings.status).toBe(200);
    const { cookie } = await kratos.createSession(identity.id as string, { aal: 'aal1' });
    const res = await fetch(settings.url, { redirect: 'manual', headers: { accept: 'text/html', cookie } });
    expect(res.status).toBe(303);
    const to = new URL(res.headers.get('location')!);
    expect(`${to.origin}${to.pathname}`).toBe(`${kratos.publicUrl}/self-service/login/browser`);
    expect(to.searchParams.get('aal')).toBe('aal2');
  });

  it('sends a browser without a session from /settings to login with return_to, without starting a flow', async () => {
    kratos.resetStats();
    const res = await fetch(`${app.url}/settings?return_to=/x`, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(res.status).toBe(303);
    const to = new URL(res.headers.get('location')!);
    expect(to.pathname).toBe('/self-service/login/browser');
    expect(to.searchParams.get('return_to')).toBe(`${app.url}/settings?return_to=%2Fx`);
    expect(kratos.stats()['/self-service/settings/browser']).toBeUndefined();
  });

  it('sends an aal1 session of an identity with a second factor from /settings to login with aal=aal2', async () => {
    const identity = await kratos.createIdentity({ traits: { email: `aal2-${++n}@example.com` }, password: 'a-long-secret-1', totp: true });
    const { cookie } = await kratos.createSession(identity.id as string, { aal: 'aal1' });
    const res = await fetch(`${app.url}/settings`, { redirect: 'manual', headers: { accept: 'text/html', cookie } });
    const to = new URL(res.headers.get('location')!);
    expect(to.pathname).toBe('/self-service/login/browser');
    expect(to.searchParams.get('aal')).toBe('aal2');
    expect(to.searchParams.get('return_to')).toBe(`${app.url}/settings`);
  });
});

describe('the error page', () => {
  it('renders the error Kratos stored, with its status code (a form posted with a wrong CSRF token)', async () => {
    const browser = new Browser();
    const login = await browser.get(`${app.url}/login`);
    const page = await browser.submit(login, { identifier: 'x@example.com', password: 'whatever-1', csrf_token: 'broken' }, { name: 'method', value: 'password' });
    expect(page.url).toMatch(new RegExp(`^${app.url}/error\\?id=`));
    expect(page.status).toBe(403);
    expect(textOf(page)).toMatch(/Cross-Site-Request-Forgery/i);
  });

  it.each(['', '?id=', '?id=stub:500', '?id=not-a-uuid', `?id=${randomUUID()}`])('answers /error%s with a 404 page', async (query) => {
    const res = await fetch(`${app.url}/error${query}`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toMatch(/This error could not be found/);
  });
});

describe('/logout', () => {
  it('signs the browser out at Kratos, forgets the cached session and lands on the validated return_to', async () => {
    const browser = new Browser();
    const { cookie } = await signedIn(browser);
    const { sessions } = contextFor(options());
    const asRequest = () => ({ headers: { cookie } }) as unknown as IncomingMessage;
    expect((await sessions.check(asRequest())).state).toBe('active');
    const page = await browser.get(`${app.url}/logout?return_to=/login`);
    const [first, second] = page.hops;
    expect(first).toBe(`${app.url}/logout?return_to=/login`);
    expect(new URL(second).pathname).toBe('/self-service/logout');
    expect(new URL(second).searchParams.get('return_to')).toBe(`${app.url}/login`);
    expect(page.url).toMatch(new RegExp(`^${app.url}/login\\?flow=`));
    const whoami = await fetch(`${kratos.publicUrl}/sessions/whoami`, { headers: { cookie } });
    expect(whoami.status).toBe(401);
    expect((await sessions.check(asRequest())).state).toBe('unauthenticated');
  });

  it('sends a browser without a session to the login page', async () => {
    const res = await fetch(`${app.url}/logout`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login');
  });

  it('refuses a cross-site navigation so that other sites cannot sign users out', async () => {
    const browser = new Browser();
    const { cookie } = await signedIn(browser);
    const res = await fetch(`${app.url}/logout`, { redirect: 'manual', headers: { cookie, 'sec-fetch-site': 'cross-site' } });
    expect(res.status).toBe(403);
    expect((await fetch(`${kratos.publicUrl}/sessions/whoami`, { headers: { cookie } })).status).toBe(200);
  });

  it('answers a hostile return_to with a 400 page', async () => {
    const res = await fetch(`${app.url}/logout?return_to=//evil.com`, { redirect: 'manual' });
    expect(res.status).toBe(400);
  });
});
