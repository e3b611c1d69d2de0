import { randomUUID } from 'node:crypto';
import { createKratos, type KratosKit } from '../../lib/create-kratos';
import type { KratosErrorCode } from '../../lib/kratos/errors';
import { kratosFlow, kratosSession, startFaultyKratos, type FaultyBehaviour, type FaultyKratos } from '../helpers/faulty-kratos';
import { expectSchema } from '../helpers/openapi';
import {
  API,
  cycleKey,
  flowsSite,
  follow,
  gateSite,
  jarWithSession,
  NAVIGATION,
  recordUnhandledRejections,
  sessionSite,
  withBrowserFlows,
  type Hop,
  type RejectionRecorder,
  type Site,
} from './fault-sites';

/** Timeout of every Kratos call of the components. */
const TIMEOUT = 500;
/** Responses a navigation may take before it counts as a loop. */
const MAX_HOPS = 6;

type Outcome =
  | { kind: 'failure'; code: KratosErrorCode; status: number; why: RegExp; retryAfter?: string }
  | { kind: 'unauthenticated' }
  | { kind: 'pass' };

const failure = (code: KratosErrorCode, status: number, why: RegExp, retryAfter?: string): Outcome => ({ kind: 'failure', code, status, why, retryAfter });
const unreachable = failure('KRATOS_UNREACHABLE', 502, /^Kratos could not be reached at http:\/\/127\.0\.0\.1:\d+ /);
const timedOut = failure('KRATOS_TIMEOUT', 504, new RegExp(`^Kratos did not answer GET /sessions/whoami within ${TIMEOUT} ms\\.$`));
const unavailable = (status: number, retryAfter?: string) => failure('KRATOS_UNAVAILABLE', 503, new RegExp(`^Kratos is unavailable: it answered GET /sessions/whoami with status ${status}\\.$`), retryAfter);
const notASession = failure('KRATOS_BAD_RESPONSE', 502, /^Kratos answered GET \/sessions\/whoami with 200 but the body is not a session\.$/);
const cutShort = failure('KRATOS_BAD_RESPONSE', 502, /^Kratos closed the connection before its answer to GET \/sessions\/whoami was complete\.$/);

// Every fault of Kratos' API and what each component must answer: Kratos down is an error with its precise
// status, an inactive session is no session, a slow answer within the timeout is a working Kratos.
const FAULTS: Array<[name: string, behaviour: FaultyBehaviour, outcome: Outcome]> = [
  ['refuses connections', 'refuse', unreachable],
  ['never answers', 'hang', timedOut],
  ['answers a session after 3x the timeout', { delayMs: 3 * TIMEOUT, then: 'valid' }, timedOut],
  ['answers a session slowly, within the timeout', { delayMs: TIMEOUT / 4, then: 'valid' }, { kind: 'pass' }],
  ['answers 500', 'status500', unavailable(500)],
  ['answers 503', 'status503', unavailable(503)],
  ['answers 429 with Retry-After', 'status429', unavailable(429, '30')],
  ['answers an HTML page', 'html', notASession],
  ['answers a valid session as text/plain', 'text-plain', notASession],
  ['resets the connection before any byte', 'reset', unreachable],
  ['resets the connection after the headers', 'reset-after-headers', cutShort],
  ['answers 8 MiB of JSON', 'huge', failure('KRATOS_BAD_RESPONSE', 502, /^Kratos answered with more than 4194304 bytes\.$/)],
  ['cuts its JSON short', 'truncated-json', cutShort],
  ['answers malformed JSON', 'bad-json', failure('KRATOS_BAD_RESPONSE', 502, /^Kratos answered GET \/sessions\/whoami with malformed JSON \(status 200\)\.$/)],
  ['answers JSON that is not a session', 'not-a-session', notASession],
  ['answers a session with active: false', 'inactive-session', { kind: 'unauthenticated' }],
  ['answers an active session whose expires_at is past', 'expired-session', { kind: 'unauthenticated' }],
];

type SiteName = 'session' | 'flows' | 'gate';
interface Cell {
  site: SiteName;
  path: string;
  accept: string;
  /** The Kratos call the component makes for this request. */
  asks: string;
}

// The three components, each with the requests that make it ask Kratos (all with a session cookie).
const CELLS: Array<[name: string, cell: Cell]> = [
  ['requireSession, browser', { site: 'session', path: '/dashboard', accept: NAVIGATION, asks: '/sessions/whoami' }],
  ['requireSession, API', { site: 'session', path: '/dashboard', accept: API, asks: '/sessions/whoami' }],
  ['flowRoutes, settings page', { site: 'flows', path: '/settings', accept: NAVIGATION, asks: '/sessions/whoami' }],
  ['flowRoutes, login page starting a flow', { site: 'flows', path: '/login', accept: NAVIGATION, asks: '/self-service/login/flows' }],
  ['flowRoutes, login page fetching a flow', { site: 'flows', path: `/login?flow=${randomUUID()}`, accept: NAVIGATION, asks: '/self-service/login/flows' }],
  ['authGate, browser', { site: 'gate', path: '/dashboard', accept: NAVIGATION, asks: '/sessions/whoami' }],
  ['authGate, API', { site: 'gate', path: '/api/items', accept: API, asks: '/sessions/whoami' }],
];

const SESSION = kratosSession();
const SIGN_IN_FORM = 'name="identifier"';

let rejections: RejectionRecorder;
beforeAll(() => {
  rejections = recordUnhandledRejections();
});
afterAll(() => rejections.stop());

it('records an unhandled rejection of this file (the check at the end can fail)', async () => {
  await expect(rejections.probe()).resolves.toBe(true);
  expect(rejections.seen).toEqual([]);
});

it('answers with Kratos-shaped bodies: the session and the flows match the OpenAPI spec', () => {
  expectSchema('session', SESSION);
  expectSchema('loginFlow', kratosFlow('login', randomUUID()));
  expectSchema('settingsFlow', kratosFlow('settings', randomUUID()));
});

/** The login URL at Kratos a refused browser is sent to, checked field by field. */
function expectLoginRedirect(hop: Hop, kratos: string, returnTo: string | null): void {
  expect(hop.status).toBe(303);
  const location = new URL(hop.headers.location ?? '');
  expect(location.origin + location.pathname).toBe(`${kratos}/self-service/login/browser`);
  expect(location.searchParams.get('return_to')).toBe(returnTo);
}

/** Kratos' answer to a browser starting a flow: 303 to the app's page of that flow with a new flow id. */
function expectKratosSendsBack(hop: Hop, site: string, page: string): void {
  expect(hop.status).toBe(303);
  expect(hop.headers.location).toMatch(new RegExp(`^${site}${page}\\?flow=[0-9a-f-]{36}$`));
}

function expectFailurePage(hop: Hop, o: Extract<Outcome, { kind: 'failure' }>): void {
  expect(hop.status).toBe(o.status);
  expect(hop.headers.location).toBeUndefined();
  expect(hop.headers['x-error-handler']).toBeUndefined();
  expect(hop.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(hop.headers['retry-after']).toBe(o.retryAfter);
  expect(hop.body).toContain('The sign-in service is unavailable');
  expect(hop.body).not.toMatch(/\bat .*\.ts:\d+/);
}

function expectInactiveJson(hop: Hop): void {
  expect(hop.status).toBe(401);
  expect(hop.headers['content-type']).toMatch(/^application\/json/);
  expect(JSON.parse(hop.body).error).toMatchObject({ id: 'session_inactive', code: 401 });
}

/** What the cell must answer for the outcome, hop by hop. */
function expectAnswer(cell: Cell, outcome: Outcome, hops: Hop[], site: Site, kratos: string, refused: boolean): void {
  const first = hops[0];
  const last = hops[hops.length - 1];
  const here = `${site.url}${cell.path}`;
  const api = cell.accept === API;

  if (outcome.kind === 'failure') {
    if (cell.site === 'flows' && cell.path === '/login') {
      expectLoginRedirect(first, kratos, null);
      if (refused) {
        // the browser follows to Kratos, which is not listening: the navigation ends there
        expect(hops).toHaveLength(2);
        expect(hops[1].error).toBe('ECONNREFUSED');
        return;
      }
      expectKratosSendsBack(hops[1], site.url, '/login');
      expect(hops).toHaveLength(3);
      return expectFailurePage(last, outcome);
    }
    expect(hops).toHaveLength(1);
    if (cell.site === 'flows') return expectFailurePage(first, outcome);
    expect(first.status).toBe(outcome.status);
    expect(first.headers.location).toBeUndefined();
    expect(first.headers['retry-after']).toBe(outcome.retryAfter);
    const body = JSON.parse(first.body);
    if (cell.site === 'session') {
      // requireSession hands the error to the app's error handler, code included
      expect(first.headers['x-error-handler']).toBe('app');
      expect(body).toEqual({ code: outcome.code, status: outcome.status, message: expect.stringMatching(outcome.why) });
    } else {
      expect(body.error).toEqual({ code: outcome.status, status: expect.any(String), message: expect.stringMatching(outcome.why) });
    }
    return;
  }

  if (outcome.kind === 'unauthenticated') {
    if (api) {
      expect(hops).toHaveLength(1);
      return expectInactiveJson(first);
    }
    expect(hops).toHaveLength(cell.path.startsWith('/login?') ? 1 : 3);
    if (cell.path === '/login') expectLoginRedirect(first, kratos, null);
    else if (!cell.path.startsWith('/login?')) expectLoginRedirect(first, kratos, here);
    if (hops.length === 3) expectKratosSendsBack(hops[1], site.url, '/login');
    expect(last.status).toBe(200);
    expect(last.body).toContain(cell.site === 'flows' ? SIGN_IN_FORM : cell.site === 'session' ? 'Sign in' : '"url":"/login?flow=');
    return;
  }

  // a working Kratos, slowly
  if (cell.site === 'flows') {
    if (cell.path.startsWith('/login?')) expect(hops).toHaveLength(1);
    else {
      const flow = cell.path.slice(1);
      expect(hops).toHaveLength(3);
      expect(new URL(first.headers.location ?? '').pathname).toBe(`/self-service/${flow}/browser`);
      expectKratosSendsBack(hops[1], site.url, cell.path);
    }
    expect(last.status).toBe(200);
    expect(last.body).toContain(cell.path === '/settings' ? 'name="traits.email"' : SIGN_IN_FORM);
    return;
  }
  expect(hops).toHaveLength(1);
  expect(first.status).toBe(200);
  const body = JSON.parse(first.body);
  if (cell.site === 'session') expect(body).toEqual({ session: SESSION.id });
  else expect(body.headers['x-user-id']).toBe((SESSION.identity as { id: string }).id);
}

describe.each(FAULTS)('when Kratos %s', (_name, behaviour, outcome) => {
  let faulty: FaultyKratos;
  let kit: KratosKit;
  let sites: Record<SiteName, Site>;
  let ui = '';
  let closed: Promise<void> | undefined;

  beforeAll(async () => {
    faulty = await startFaultyKratos(withBrowserFlows(behaviour, () => ui));
    kit = createKratos({ publicUrl: faulty.url, timeout: TIMEOUT });
    sites = { session: await sessionSite(kit), flows: await flowsSite(kit), gate: await gateSite(kit) };
  });
  const closeAll = () =>
    (closed ??= (async () => {
      await Promise.all(Object.values(sites).map((site) => site.close()));
      await kit.close();
    })());
  afterAll(async () => {
    await closeAll();
    await faulty.close();
  });

  it.each(CELLS)('%s: the precise answer, nothing behind it reached, no redirect loop', async (_cell, cell) => {
    const site = sites[cell.site];
    ui = site.url;
    const reachedBefore = site.reached;
    const askedBefore = faulty.requests.length;
    const url = `${site.url}${cell.path}`;

    const hops = await follow(url, { accept: cell.accept, jar: jarWithSession(url), maxHops: MAX_HOPS });

    // it stops by itself, on an answer that is not a redirect, without visiting a page twice
    const last = hops[hops.length - 1];
    expect(hops.length).toBeLessThan(MAX_HOPS);
    expect(last.status < 300 || last.status >= 400).toBe(true);
    const keys = hops.map((hop) => cycleKey(hop.url));
    expect(new Set(keys).size).toBe(keys.length);

    expectAnswer(cell, outcome, hops, site, faulty.url, behaviour === 'refuse');
    const protectedReach = outcome.kind === 'pass' && cell.site !== 'flows' ? 1 : 0;
    expect(site.reached - reachedBefore).toBe(protectedReach);
    if (behaviour !== 'refuse') expect(faulty.requests.slice(askedBefore).some((r) => r.url.startsWith(cell.asks))).toBe(true);
  });

  it('leaves no connection open at Kratos once the components are closed', async () => {
    if (behaviour !== 'refuse') expect(faulty.acceptedConnections).toBeGreaterThan(0);
    await closeAll();
    const deadline = Date.now() + 2000;
    while (faulty.openConnections > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(faulty.openConnections).toBe(0);
  });
});

it('saw no unhandled promise rejection', () => {
  expect(rejections.seen).toEqual([]);
});
