import { IncomingMessage, type ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import express from 'express';
import { closeSharedContexts } from '../../lib/context';
import { flowRoutes } from '../../lib/flows';
import { resolveConfig } from '../../lib/kratos/config';
import { safeReturnTo } from '../../lib/kratos/request';
import { authGate, kratosProxy } from '../../lib/proxy';
import { getLogoutUrl } from '../../lib/session/logout';
import { requireSession } from '../../lib/session/factories';
import { startEmulator, type TestEmulator } from '../helpers/emulator';
import { startFaultyKratos, type FaultyKratos } from '../helpers/faulty-kratos';
import { startUpstream, type Upstream } from '../helpers/upstream';
import { listen } from '../proxy/helpers';
import { ALLOW_LIST_CASES, APP_ORIGIN, expectLandsOn, HOSTILE_RETURN_URLS, PARTNER, targetCarrying, type HostileReturnUrl } from './hostile-return-urls';
import { rawGet, locationOf, type RawAnswer } from './hostile-requests';

/*
 * Every place a return target enters the kit, fed the same table of open-redirect attempts
 * (hostile-return-urls.ts). The outcome is a precise 400 or a redirect whose Location (and any return_to
 * it carries) lands on the app's origin or an allowed one, never elsewhere, never a script scheme, never
 * with a line break. The one deliberate exception is kratosProxy relaying a Location that Kratos itself
 * chose outside Kratos (OIDC providers, its allowed_return_urls): that is passed on unchanged.
 */

const table = HOSTILE_RETURN_URLS.map((entry) => [entry.name, entry] as const);
const enc = encodeURIComponent;
const decoded = (html: string) => html.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

let kratos: TestEmulator;
let faulty: FaultyKratos;
let upstream: Upstream;
const servers: { close(): Promise<void> }[] = [];
let sessionPort: number;
let allowListPort: number;
let flowPort: number;
let proxyPort: number;
let gatePort: number;
let identityId: string;

async function serve(handler: Parameters<typeof listen>[0]): Promise<number> {
  const server = await listen(handler);
  servers.push(server);
  return Number(new URL(server.url).port);
}

/** Express's error handler stand-in: the kit's error as JSON with its status. */
function reportError(err: { status?: number; code?: string; message?: string }, _req: IncomingMessage, res: ServerResponse, _next: unknown): void {
  res.statusCode = err.status ?? 500;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ code: err.code ?? null, message: err.message }));
}

beforeAll(async () => {
  faulty = await startFaultyKratos('status500');
  upstream = await startUpstream();
  kratos = await startEmulator({
    overrides: {
      selfservice: {
        default_browser_return_url: `${APP_ORIGIN}/home`,
        allowed_return_urls: [APP_ORIGIN],
        flows: {
          error: { ui_url: `${APP_ORIGIN}/error` },
          login: { ui_url: `${APP_ORIGIN}/login` },
          logout: { after: { default_browser_return_url: `${APP_ORIGIN}/signed-out` } },
        },
      },
    },
  });
  identityId = (await kratos.createIdentity({ traits: { email: 'redirects@example.com' }, password: 'a-long-enough-password-1' })).id as string;

  const sessionApp = express();
  sessionApp.use(requireSession({ publicUrl: faulty.url }));
  sessionApp.use((_req, res) => void res.end('handler reached'));
  sessionApp.use(reportError);
  sessionPort = await serve(sessionApp as never);

  const pinned = express();
  pinned.use(requireSession({ publicUrl: faulty.url, browserUrl: '/.ory', allowedReturnUrls: [APP_ORIGIN, PARTNER] }));
  pinned.use((_req, res) => void res.end('handler reached'));
  pinned.use(reportError);
  allowListPort = await serve(pinned as never);

  const flows = flowRoutes({ publicUrl: kratos.publicUrl });
  const flowApp = express();
  flowApp.get('/go', (req, res) => flows.login(req, res, { returnTo: new URL(req.url, APP_ORIGIN).searchParams.get('to') ?? undefined }));
  flowApp.get('/account', requireSession({ publicUrl: kratos.publicUrl }), (req, res, next) => {
    getLogoutUrl(req, { returnTo: new URL(req.url, APP_ORIGIN).searchParams.get('to') ?? undefined }).then((url) => res.json({ url }), next);
  });
  flowApp.use('/f', flowRoutes({ publicUrl: faulty.url }));
  flowApp.use(flows);
  flowApp.use(reportError);
  flowPort = await serve(flowApp as never);

  const proxyApp = express();
  proxyApp.use(kratosProxy({ publicUrl: kratos.publicUrl, browserUrl: '/.ory' }));
  proxyApp.use(kratosProxy({ publicUrl: faulty.url, prefix: '/.faulty' }));
  proxyApp.use(reportError);
  proxyPort = await serve(proxyApp as never);

  gatePort = await serve(authGate({ publicUrl: faulty.url, upstream: upstream.url }));
});

afterAll(async () => {
  await closeSharedContexts();
  for (const server of servers) await server.close();
  await upstream.close();
  await faulty.close();
  await kratos.close();
});

/** A 400 page of the flow routes naming the parameter, without a redirect. */
function expectParameterRefused(answer: RawAnswer, parameter: string): void {
  expect(answer.status).toBe(400);
  expect(answer.headers.location).toBeUndefined();
  expect(answer.headers['content-type']).toEqual(['text/html; charset=utf-8']);
  expect(decoded(answer.body)).toContain(`The ${parameter} parameter`);
}

/** A 303 whose Location starts with `base` and whose `return_to` is `expected` (null: absent). */
function expectRedirectWith(answer: RawAnswer, base: string, parameter: string, expected: string | null): URL {
  expect(answer.status).toBe(303);
  const url = new URL(locationOf(answer)!);
  expect(url.href.startsWith(base)).toBe(true);
  expect(url.searchParams.get(parameter)).toBe(expected);
  return url;
}

describe('safeReturnTo, called directly', () => {
  const config = resolveConfig({ publicUrl: 'http://127.0.0.1:4433' });
  const pinned = resolveConfig({ publicUrl: 'http://127.0.0.1:4433', allowedReturnUrls: [APP_ORIGIN, PARTNER] });
  const request = (protocol?: 'https') => {
    const req = new IncomingMessage(new Socket());
    req.headers.host = 'app.test';
    req.url = '/page';
    if (protocol) Object.assign(req, { protocol });
    return req;
  };

  // Exactly the harmless values are kept, each normalised to an absolute URL of the app.
  it.each(table)('on the own origin: %s', (_name, { value, stays }) => {
    expect(safeReturnTo(value, request(), config)).toBe(stays);
  });

  // An allow-list changes nothing for the hostile values (the app origin is on it).
  it.each(table)('with an allow-list: %s', (_name, { value, stays }) => {
    expect(safeReturnTo(value, request(), pinned)).toBe(stays);
  });

  // The allow-list admits its entries exactly: scheme, host and port.
  it.each(ALLOW_LIST_CASES.map((entry) => [entry.name, entry] as const))('with an allow-list: %s', (_name, { value, stays }) => {
    expect(safeReturnTo(value, request(), pinned)).toBe(stays);
  });

  // On an https app nothing lands off https://app.test, and plain http of the same host is a downgrade.
  it.each([...table, ['a scheme downgrade', { name: '', value: 'http://app.test/' }], ['a downgrade on port 443', { name: '', value: 'http://app.test:443/' }]] as [string, HostileReturnUrl][])(
    'on an https app: %s',
    (_name, { value, stays }) => {
      const result = safeReturnTo(value, request('https'), config);
      if (result !== undefined) expectLandsOn(result, 'https://app.test/page', ['https://app.test']);
    },
  );
});

/** An absolute-form request target (as proxies send) that Node's parser or the WHATWG URL parser refuses. */
const unparsableAbsoluteForm = (target: string) => !target.startsWith('/') && (/^[a-z]+:\/\/[^/]*[#\\]/i.test(target) || !URL.canParse(target));

function expectMalformedTarget(answer: RawAnswer): void {
  expect(answer.status).toBe(400);
  expect(answer.headers.location).toBeUndefined();
  if (answer.body !== '') expect(JSON.parse(answer.body).code).toBe('BAD_REQUEST');
}

describe("requireSession's login redirect, from a request path carrying the value", () => {
  // No credential: Kratos is not asked, the browser goes to login, and return_to is the request's own URL
  // when that URL is harmless (paths are taken as sent; anything else may only land on the app). An
  // absolute-form target no URL parser accepts is a 400 (Node's own for `#` or `\\` in the authority, the kit's otherwise).
  it.each(table)('%s', async (_name, { value, stays }) => {
    const before = faulty.requests.length;
    const target = targetCarrying(value);
    const answer = await rawGet(sessionPort, target);
    expect(faulty.requests.length).toBe(before);
    if (unparsableAbsoluteForm(target)) return expectMalformedTarget(answer);
    expect(answer.status).toBe(303);
    const url = new URL(locationOf(answer)!);
    expect(url.origin + url.pathname).toBe(`${faulty.url}/self-service/login/browser`);
    const returnTo = url.searchParams.get('return_to');
    if (value.startsWith('/')) expect(returnTo).toBe(stays ?? null);
    else if (returnTo !== null) expectLandsOn(returnTo, APP_ORIGIN, [APP_ORIGIN]);
  });

  // With an allow-list and a relative browserUrl, the login URL itself is built on the request's origin.
  it.each(table)('with an allow-list: %s', async (_name, { value, stays }) => {
    const target = targetCarrying(value);
    const answer = await rawGet(allowListPort, target);
    if (unparsableAbsoluteForm(target)) return expectMalformedTarget(answer);
    expect(answer.status).toBe(303);
    const url = new URL(locationOf(answer)!);
    expect(url.origin + url.pathname).toBe(`${APP_ORIGIN}/.ory/self-service/login/browser`);
    const returnTo = url.searchParams.get('return_to');
    if (value.startsWith('/')) expect(returnTo).toBe(stays ?? null);
    else if (returnTo !== null) expectLandsOn(returnTo, APP_ORIGIN, [APP_ORIGIN, PARTNER]);
  });
});

describe("requireSession keeping the return_to of Kratos' redirect_browser_to", () => {
  // Kratos asks for a second factor; the return_to inside its redirect_browser_to is kept only when safe,
  // else replaced by the page the browser asked for.
  it.each(table)('%s', async (_name, { value, stays }) => {
    faulty.setBehaviour((_req, res) => {
      const to = `${faulty.url}/self-service/login/browser?aal=aal2&return_to=${enc(value)}`;
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { id: 'session_aal2_required', code: 403, status: 'Forbidden', message: 'aal2 required' }, redirect_browser_to: to }));
    });
    const answer = await rawGet(sessionPort, '/private', { Cookie: 'ory_kratos_session=abc' });
    const url = expectRedirectWith(answer, `${faulty.url}/self-service/login/browser?`, 'return_to', stays ?? `${APP_ORIGIN}/private`);
    expect(url.searchParams.get('aal')).toBe('aal2');
  });
});

describe('flowRoutes: return_to when a flow starts', () => {
  // Refused values are a 400 page naming the parameter; kept values go to Kratos normalised.
  it.each(table)('login?return_to=: %s', async (_name, { value, stays }) => {
    const answer = await rawGet(flowPort, `/login?return_to=${enc(value)}`);
    if (stays === undefined) return expectParameterRefused(answer, 'return_to');
    expectRedirectWith(answer, `${kratos.publicUrl}/self-service/login/browser?`, 'return_to', stays);
  });

  it.each(table)('registration?after_verification_return_to=: %s', async (_name, { value, stays }) => {
    const answer = await rawGet(flowPort, `/registration?after_verification_return_to=${enc(value)}`);
    if (stays === undefined) return expectParameterRefused(answer, 'after_verification_return_to');
    expectRedirectWith(answer, `${kratos.publicUrl}/self-service/registration/browser?`, 'after_verification_return_to', stays);
  });

  // The imperative helper drops what it cannot keep instead of failing the app's route.
  it.each(table)('flows.login(req, res, { returnTo }): %s', async (_name, { value, stays }) => {
    const answer = await rawGet(flowPort, `/go?to=${enc(value)}`);
    expectRedirectWith(answer, `${kratos.publicUrl}/self-service/login/browser`, 'return_to', stays ?? null);
  });
});

describe("flowRoutes: a flow's redirect_browser_to", () => {
  /** What docs/flows.md promises to follow besides Kratos: an absolute http(s) URL of the app's own origin. */
  const ownAbsoluteUrl = (value: string) =>
    /^https?:\/\//i.test(value) && !/[\0-\x20\x7f\\]/.test(value) && URL.canParse(value) && new URL(value).origin === APP_ORIGIN && !new URL(value).username && !new URL(value).password;

  // Kratos' redirect_browser_to is followed only to Kratos or to an absolute URL of the app itself; any
  // other value is a 502 page, never a redirect.
  it.each(table)('%s', async (_name, { value, stays }) => {
    faulty.setBehaviour((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { id: 'session_refresh_required', code: 403, status: 'Forbidden', message: 'refresh' }, redirect_browser_to: value }));
    });
    const answer = await rawGet(flowPort, '/f/login?flow=5e2c0c6e-1111-4000-8000-000000000000');
    if (ownAbsoluteUrl(value)) {
      expect(answer.status).toBe(303);
      expect(locationOf(answer)).toBe(stays ?? new URL(value).href);
      expectLandsOn(locationOf(answer)!, APP_ORIGIN, [APP_ORIGIN]);
    } else {
      expect(answer.status).toBe(502);
      expect(answer.headers.location).toBeUndefined();
    }
  });
});

describe('logout: return_to', () => {
  let before: number;
  const logoutCalls = () => Object.entries(kratos.stats()).filter(([route]) => route.includes('logout')).reduce((sum, [, n]) => sum + n, 0);
  beforeEach(() => {
    before = logoutCalls();
  });

  // Without a session the page sends the browser straight to return_to, so it must be refused or safe.
  it.each(table)('/logout?return_to= without a session: %s', async (_name, { value, stays }) => {
    const answer = await rawGet(flowPort, `/logout?return_to=${enc(value)}`);
    if (stays === undefined) expectParameterRefused(answer, 'return_to');
    else {
      expect(answer.status).toBe(303);
      expect(locationOf(answer)).toBe(stays);
    }
    expect(logoutCalls()).toBe(before);
  });

  // With a session: a refused value is a 400 before Kratos is asked (the session survives); a kept one
  // travels through Kratos' logout URL and Kratos sends the browser back to exactly that URL.
  it.each(table)('/logout?return_to= with a session, through Kratos: %s', async (_name, { value, stays }) => {
    const { cookie } = await kratos.createSession(identityId);
    const answer = await rawGet(flowPort, `/logout?return_to=${enc(value)}`, { Cookie: cookie });
    if (stays === undefined) {
      expectParameterRefused(answer, 'return_to');
      return expect(logoutCalls()).toBe(before);
    }
    const logoutUrl = expectRedirectWith(answer, `${kratos.publicUrl}/self-service/logout?`, 'return_to', stays);
    const final = await rawRequestTo(logoutUrl, cookie);
    expect(final.status).toBe(303);
    expect(locationOf(final)).toBe(stays);
  });

  // getLogoutUrl drops what it cannot keep; Kratos then ends on its default page.
  it.each(table)('getLogoutUrl(req, { returnTo }): %s', async (_name, { value, stays }) => {
    const { cookie } = await kratos.createSession(identityId);
    const answer = await rawGet(flowPort, `/account?to=${enc(value)}`, { Cookie: cookie, Accept: 'application/json' });
    expect(answer.status).toBe(200);
    const logoutUrl = new URL((JSON.parse(answer.body) as { url: string }).url);
    expect(logoutUrl.searchParams.get('return_to')).toBe(stays ?? null);
    const final = await rawRequestTo(logoutUrl, cookie);
    expect(locationOf(final)).toBe(stays ?? `${APP_ORIGIN}/signed-out`);
  });
});

/** GET of an absolute URL on loopback, with the cookie. */
function rawRequestTo(url: URL, cookie: string): Promise<RawAnswer> {
  return rawGet(Number(url.port), url.pathname + url.search, { Host: url.host, Cookie: cookie });
}

describe('kratosProxy: Location headers of Kratos', () => {
  // A signed-in browser starting a login through the proxy: Kratos (the emulator, allowed_return_urls =
  // the app) sends it to return_to or to its error page; either way the Location stays on the app.
  it.each(table)('Kratos redirecting to the return_to of the query: %s', async (_name, { value, stays }) => {
    const { cookie } = await kratos.createSession(identityId);
    const answer = await rawGet(proxyPort, `/.ory/self-service/login/browser?return_to=${enc(value)}`, { Cookie: cookie });
    expect(answer.status).toBe(303);
    const location = locationOf(answer)!;
    expect(new URL(location, APP_ORIGIN).origin).toBe(APP_ORIGIN);
    if (stays !== undefined) expect(location).toBe(stays);
  });

  // A Kratos answering a Location itself (docs/proxy.md): its own absolute URLs and its root paths are
  // mapped under the prefix on the app; anything else is passed on exactly as Kratos sent it (Kratos sends
  // browsers to OIDC providers and to its allowed_return_urls), never turned into another place. HTTP drops
  // the spaces around a header value; values a header cannot carry at all are left out.
  const headerSafe = table.filter(([, { value }]) => !/[\0-\x08\x0a-\x1f\x7f]/.test(value));
  const kratosLocations: [string, string][] = [
    ['a URL of Kratos itself', '{kratos}/self-service/login?flow=1#top'],
    ['the Kratos origin with the attacker as sub-domain', 'http://{kratos-host}.evil.com/self-service/login'],
    ['the Kratos origin as user-info of the attacker', '{kratos}@evil.com/self-service/login'],
    ['the attacker as user-info of the Kratos origin', 'http://evil.com@{kratos-host}/self-service/login'],
    ['the Kratos host on another port', 'http://127.0.0.1:1/self-service/login'],
    ['a Kratos URL climbing with dot segments', '{kratos}/a/../../self-service/login'],
    ['a Kratos URL whose path starts with two slashes', '{kratos}//evil.com/'],
  ];
  const withKratos = (value: string) => value.replace('{kratos}', faulty.url).replace('{kratos-host}', new URL(faulty.url).host);
  it.each([...headerSafe.map(([name, { value }]) => [name, value] as const), ...kratosLocations])('Kratos answering Location: %s', async (_name, template) => {
    const value = withKratos(template);
    faulty.setBehaviour((_req, res) => {
      res.writeHead(303, [['location', Buffer.from(value, 'utf8').toString('latin1')]]);
      res.end();
    });
    const answer = await rawGet(proxyPort, '/.faulty/self-service/login/browser');
    expect(answer.status).toBe(303);
    const location = Buffer.from(locationOf(answer)!, 'latin1').toString('utf8');
    const sent = value.replace(/^[ \t]+|[ \t]+$/g, '');
    const own = URL.canParse(sent) ? new URL(sent) : undefined;
    if (sent.startsWith('/') && !/^\/[/\\]/.test(sent)) {
      expect(location).toBe(`/.faulty${sent}`);
    } else if (own && own.origin === faulty.url && !own.username && !own.password) {
      expect(location).toBe(`${APP_ORIGIN}/.faulty${own.pathname}${own.search}${own.hash}`);
    } else {
      expect(location).toBe(sent);
    }
  });
});

describe("authGate's login redirect, from a request path carrying the value", () => {
  // The gate refuses paths different servers read differently (400 PROXY_BAD_PATH); everything else goes
  // to login with a return_to that lands on the app. The upstream is never reached.
  it.each(table)('%s', async (_name, { value }) => {
    const before = upstream.requests.length;
    const target = targetCarrying(value);
    const answer = await rawGet(gatePort, target);
    if (unparsableAbsoluteForm(target)) {
      expect(answer.status).toBe(400);
      if (answer.body !== '') expect(JSON.parse(answer.body).error.reason).toBe('PROXY_BAD_PATH');
    } else if (answer.status === 400) expect(JSON.parse(answer.body).error.reason).toBe('PROXY_BAD_PATH');
    else {
      expect(answer.status).toBe(303);
      const url = new URL(locationOf(answer)!);
      expect(url.origin + url.pathname).toBe(`${faulty.url}/self-service/login/browser`);
      const returnTo = url.searchParams.get('return_to');
      if (returnTo !== null) expectLandsOn(returnTo, APP_ORIGIN, [APP_ORIGIN]);
    }
    expect(upstream.requests.length).toBe(before);
  });
});

it('feeds at least 50 distinct hostile values to every entry point', () => {
  expect(new Set(HOSTILE_RETURN_URLS.map(({ value }) => value)).size).toBeGreaterThanOrEqual(50);
  expect(new Set(HOSTILE_RETURN_URLS.map(({ name }) => name)).size).toBe(HOSTILE_RETURN_URLS.length);
});
