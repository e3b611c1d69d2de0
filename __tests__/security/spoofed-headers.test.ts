import { createServer, type Server } from 'node:http';
import express from 'express';
import { createLocalJWKSet, jwtVerify } from 'jose';
import request from 'supertest';
import { closeSharedContexts } from '../../lib/context';
import { authGate, forwardAuth, type AuthGate } from '../../lib/proxy';
import { normalizeHeaderName } from '../../lib/proxy/identity-headers';
import { requireSession } from '../../lib/session/factories';
import { appWith, type Framework } from '../helpers/apps';
import { startEmulator, type TestEmulator } from '../helpers/emulator';
import type { EchoedRequest } from '../helpers/upstream';
import { startUpstream, type Upstream } from '../helpers/upstream';
import { BROWSER, listen, signedIn } from '../proxy/helpers';
import { FORWARDING_SPOOFS, head, IDENTITY_SPOOFS, rawExchange, SPOOFED, statuses } from './hostile-headers';

/*
 * Spoofed identity and forwarding headers, sent over a raw socket so that spellings, duplicates and folds reach
 * the server exactly as written. The gate's upstream must never see a client-supplied identity value, and
 * forwarding headers of an untrusted client must not steer a decision, a redirect or what the upstream is told.
 * (__tests__/proxy/gate.test.ts covers the plain spellings of the default families.)
 */

let kratos: TestEmulator;
let upstream: Upstream;
let user: Awaited<ReturnType<typeof signedIn>>;
let other: Awaited<ReturnType<typeof signedIn>>;

beforeAll(async () => {
  kratos = await startEmulator();
  upstream = await startUpstream();
  user = await signedIn(kratos, 'spoof@example.com');
  other = await signedIn(kratos, 'victim@example.com');
});
afterAll(async () => {
  await closeSharedContexts();
  await upstream.close();
  await kratos.close();
});

interface Served {
  gate: AuthGate;
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

async function serveGate(options: Partial<Parameters<typeof authGate>[0]>): Promise<Served> {
  const gate = authGate({ publicUrl: kratos.publicUrl, upstream: upstream.url, ...options });
  const served = await listen(gate);
  const { host, port } = new URL(served.url);
  return { gate, url: served.url, host, port: Number(port), close: served.close };
}

/** Sends a GET with raw header lines (Host first) and returns the exchange and the upstream requests it caused. */
async function rawGet(served: Served, path: string, lines: string[]) {
  const before = upstream.requests.length;
  const exchange = await rawExchange(served.port, head(`GET ${path} HTTP/1.1`, [`Host: ${served.host}`, ...lines]));
  return { exchange, forwarded: upstream.requests.slice(before) };
}

/** How many raw header names of the upstream request read as `name` (case- and `_`/`-`-insensitively). */
const spellings = (seen: EchoedRequest, name: string) => seen.rawHeaderNames.filter((raw) => normalizeHeaderName(raw) === name).length;
const allValues = (seen: EchoedRequest) => Object.values(seen.headers).flat().join('\n');
const loginAt = (returnTo?: string) => `${kratos.publicUrl}/self-service/login/browser${returnTo === undefined ? '' : `?return_to=${encodeURIComponent(returnTo)}`}`;

async function verified(served: Served, token: string) {
  const { payload } = await jwtVerify(token, createLocalJWKSet(served.gate.jwks as Parameters<typeof createLocalJWKSet>[0]));
  return payload;
}

describe('authGate: spoofed identity headers from a signed-in client', () => {
  let jwtGate: Served;
  let customGate: Served;
  beforeAll(async () => {
    jwtGate = await serveGate({ jwt: true });
    customGate = await serveGate({ headers: { 'X-User-Id': 'identity.id', 'Kratos-Email': 'identity.traits.email' }, jwt: { header: 'X-Gate-Jwt' }, stripHeaders: ['X-Internal-*'] });
  });
  afterAll(async () => {
    await jwtGate.close();
    await customGate.close();
  });

  // Each spelling is removed; the gate's own headers (and JWT) arrive exactly once with the session's values.
  it.each(IDENTITY_SPOOFS)('$title', async ({ lines, names, gate, status }) => {
    const served = gate === 'jwt' ? jwtGate : customGate;
    const { exchange, forwarded } = await rawGet(served, '/h', [`Cookie: ${user.cookie}`, ...lines]);
    expect(statuses(exchange)).toEqual([status]);
    if (status === 400) return expect(forwarded).toEqual([]);
    expect(forwarded).toHaveLength(1);
    const seen = forwarded[0];
    expect(allValues(seen)).not.toContain(SPOOFED);
    const own = gate === 'jwt' ? ['x-user-id', 'x-user-email', 'x-session-id', 'x-user-aal', 'authorization'] : ['x-user-id', 'kratos-email', 'x-gate-jwt'];
    for (const name of names) expect([name, spellings(seen, name)]).toEqual([name, own.includes(name) ? 1 : 0]);
    for (const name of own) expect([name, spellings(seen, name)]).toEqual([name, 1]);
    expect(seen.headers['x-user-id']).toBe(user.id);
    if (gate === 'jwt') {
      expect(seen.headers).toMatchObject({ 'x-user-email': 'spoof@example.com', 'x-session-id': user.sessionId, 'x-user-aal': 'aal1' });
      const [scheme, token] = String(seen.headers.authorization).split(' ');
      expect(scheme).toBe('Bearer');
      expect(await verified(served, token)).toMatchObject({ sub: user.id, sid: user.sessionId });
    } else {
      expect(seen.headers['kratos-email']).toBe('spoof@example.com');
      expect(await verified(served, String(seen.headers['x-gate-jwt']))).toMatchObject({ sub: user.id, sid: user.sessionId });
    }
  });

  it("never forwards another real user's id claimed in X-User-Id and X-Session-Id", async () => {
    const { exchange, forwarded } = await rawGet(jwtGate, '/h', [`Cookie: ${user.cookie}`, `X-User-Id: ${other.id}`, `x_session_id: ${other.sessionId}`]);
    expect(statuses(exchange)).toEqual([200]);
    expect(allValues(forwarded[0])).not.toContain(other.id);
    expect(allValues(forwarded[0])).not.toContain(other.sessionId);
    expect(forwarded[0].headers).toMatchObject({ 'x-user-id': user.id, 'x-session-id': user.sessionId });
  });

  it('removes a forged Bearer JWT on a public path, where no session is checked and none is sent', async () => {
    const gate = await serveGate({ jwt: true, rules: [{ path: '/', access: 'public' }] });
    try {
      const { exchange, forwarded } = await rawGet(gate, '/h', ['Authorization: Bearer forged.jwt.value', `X_User_Id: ${SPOOFED}`]);
      expect(statuses(exchange)).toEqual([200]);
      expect(spellings(forwarded[0], 'authorization')).toBe(0);
      expect(spellings(forwarded[0], 'x-user-id')).toBe(0);
    } finally {
      await gate.close();
    }
  });
});

describe('authGate: spoofed forwarding headers from an untrusted client', () => {
  const rules = [{ path: '/public/**', access: 'public' as const }, { path: '/' }];
  let gate: Served;
  beforeAll(async () => {
    gate = await serveGate({ rules });
  });
  afterAll(() => gate.close());

  // Forwarded to the upstream: the gate's own X-Forwarded-For/Host/Proto once, nothing else of the family.
  it.each(FORWARDING_SPOOFS)('with a session: $title', async ({ lines, path, removed }) => {
    const { exchange, forwarded } = await rawGet(gate, path, [`Cookie: ${user.cookie}`, ...lines]);
    expect(statuses(exchange)).toEqual([200]);
    expect(forwarded).toHaveLength(1);
    const seen = forwarded[0];
    expect(seen.url).toBe(path);
    expect(seen.headers).toMatchObject({ 'x-forwarded-for': '127.0.0.1', 'x-forwarded-host': gate.host, 'x-forwarded-proto': 'http' });
    expect(seen.headers['x-user-id']).toBe(path.startsWith('/public/') ? undefined : user.id);
    const own = ['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto'];
    for (const name of [...own, ...removed]) expect([name, spellings(seen, name)]).toEqual([name, own.includes(name) ? 1 : 0]);
    expect(allValues(seen)).not.toMatch(/evil\.example|6\.6\.6\.6|7\.7\.7\.7|6666/);
  });

  // Decided on the request's own path and origin: a browser without a session goes to login for exactly this URL.
  it.each(FORWARDING_SPOOFS.filter((c) => !c.path.startsWith('/public/')))('without a session: $title', async ({ lines, path }) => {
    const { exchange, forwarded } = await rawGet(gate, path, [`Accept: ${BROWSER}`, ...lines]);
    expect(statuses(exchange)).toEqual([303]);
    expect(exchange.responses[0].headers.location).toBe(loginAt(`${gate.url}${path}`));
    expect(forwarded).toEqual([]);
  });

  it('answers an API caller 401 on the private path an X-Original-URL on a public path points away from', async () => {
    const { exchange, forwarded } = await rawGet(gate, '/app', ['Accept: application/json', 'X-Original-URL: /public/x', 'X-Rewrite-URL: /public/x']);
    expect(statuses(exchange)).toEqual([401]);
    expect(forwarded).toEqual([]);
  });
});

describe('authGate: forwarding headers from a trusted proxy', () => {
  let gate: Served;
  beforeAll(async () => {
    gate = await serveGate({ trustedProxies: ['127.0.0.1'] });
  });
  afterAll(() => gate.close());

  // A trusted proxy's X-Forwarded-* count (and pass on); other spellings and URL overrides still do not.
  const cases: [title: string, lines: string[], upstreamSees: Record<string, string>, absent: string[]][] = [
    ['X_Forwarded_Host next to the proxy\'s X-Forwarded-Host', ['X-Forwarded-Host: app.example.com', 'X_Forwarded_Host: evil.example'], { 'x-forwarded-host': 'app.example.com' }, []],
    ['x_forwarded_proto next to the proxy\'s X-Forwarded-Proto', ['X-Forwarded-Proto: https', 'x_forwarded_proto: http'], { 'x-forwarded-proto': 'https' }, []],
    ['X-Forwarded-Prefix and X-Real-IP of the proxy', ['X-Forwarded-Prefix: /grafana', 'X-Real-IP: 203.0.113.9'], { 'x-forwarded-prefix': '/grafana', 'x-real-ip': '203.0.113.9' }, []],
    ['X-Original-URL and X-Rewrite-URL (the gate decided on the request path)', ['X-Original-URL: /evil.example', 'X-Rewrite-URL: /evil.example'], {}, ['x-original-url', 'x-rewrite-url']],
  ];
  it.each(cases)('%s', async (_title, lines, upstreamSees, absent) => {
    const { exchange, forwarded } = await rawGet(gate, '/h', [`Cookie: ${user.cookie}`, ...lines]);
    expect(statuses(exchange)).toEqual([200]);
    expect(forwarded[0].headers).toMatchObject(upstreamSees);
    for (const name of ['x-forwarded-host', 'x-forwarded-proto', ...absent]) expect([name, spellings(forwarded[0], name)]).toEqual([name, absent.includes(name) ? 0 : 1]);
    expect(allValues(forwarded[0])).not.toContain('evil.example');
  });

  it('builds the login return_to from the proxy\'s X-Forwarded-Host, never from an underscore spelling', async () => {
    const { exchange } = await rawGet(gate, '/h?x=1', [`Accept: ${BROWSER}`, 'X_Forwarded_Host: evil.example', 'X-Forwarded-Proto: https']);
    expect(exchange.responses[0].headers.location).toBe(loginAt(`https://${gate.host}/h?x=1`));
  });
});

describe('forwardAuth: spoofed original-request headers', () => {
  const rules = [{ path: '/public/**', access: 'public' as const }, { path: '/' }];
  const app = (options: Partial<Parameters<typeof forwardAuth>[0]> = {}) => {
    const server = express();
    server.use('/auth', forwardAuth({ publicUrl: kratos.publicUrl, rules, redirectBrowsers: true, ...options }));
    return server;
  };
  const untrusted = () => app({ trustedProxies: ['10.0.0.0/8'] });
  const trusted = () => app();

  type Expect = { status: number; location?: string; userId?: string };
  const cases: [title: string, server: () => express.Express, path: string, headers: Record<string, string | string[]>, expected: Expect][] = [
    ['untrusted: X-Forwarded-Uri to a public path does not open a private one', untrusted, '/auth/app', { 'X-Forwarded-Uri': '/public/x', 'X-Forwarded-Method': 'GET', Accept: 'application/json' }, { status: 401 }],
    ['untrusted: X-Original-URI to a public path does not open a private one', untrusted, '/auth/app', { 'X-Original-URI': '/public/x', Accept: 'application/json' }, { status: 401 }],
    ['untrusted: X-Original-URL (IIS) to a public path does not open a private one', untrusted, '/auth/app', { 'X-Original-URL': '/public/x', Accept: 'application/json' }, { status: 401 }],
    ['untrusted: X-Forwarded-Host/Proto do not move the login redirect', untrusted, '/auth/app?x=1', { 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Uri': '/public/x', Accept: BROWSER, Host: 'auth.internal' }, { status: 302, location: 'http://auth.internal/app?x=1' }],
    ['untrusted: Forwarded does not move the login redirect', untrusted, '/auth/app', { Forwarded: 'host=evil.example;proto=https', Accept: BROWSER, Host: 'auth.internal' }, { status: 302, location: 'http://auth.internal/app' }],
    ['untrusted: a public path stays public with a spoofed private X-Original-URI, identity headers empty', untrusted, '/auth/public/x', { 'X-Original-URI': '/app', 'X-User-Id': SPOOFED }, { status: 200, userId: '' }],
    ['trusted: X-Original-URL (not nginx\'s X-Original-URI) is no original URL', trusted, '/auth/app', { 'X-Original-URL': '/public/x', Accept: 'application/json' }, { status: 401 }],
    ['trusted: x_original_uri (underscores, which nginx drops) is no original URL', trusted, '/auth/app', { x_original_uri: '/public/x', Accept: 'application/json' }, { status: 401 }],
    ['trusted: x_forwarded_uri is no original URL', trusted, '/auth/app', { x_forwarded_uri: '/public/x', 'X-Forwarded-Method': 'GET', Accept: 'application/json' }, { status: 401 }],
    ['trusted: a comma in X-Original-URI does not cut the path before its dot segments', trusted, '/auth', { 'X-Original-URI': '/public/a,/../../app', Accept: 'application/json' }, { status: 400 }],
    ['trusted: a comma in X-Forwarded-Uri does not cut the path before its dot segments', trusted, '/auth', { 'X-Forwarded-Uri': '/public/a,/../../app', 'X-Forwarded-Method': 'GET', Accept: 'application/json' }, { status: 400 }],
    ['trusted: X-Original-URI twice (a public and a private path) is refused', trusted, '/auth', { 'X-Original-URI': ['/public/x', '/app'], Accept: 'application/json' }, { status: 400 }],
    ['trusted: a comma in X-Forwarded-Uri is kept in return_to', trusted, '/auth', { 'X-Forwarded-Uri': '/app/a,b?c=d,e', 'X-Forwarded-Method': 'GET', 'X-Forwarded-Host': 'app.example.com', 'X-Forwarded-Proto': 'https', Accept: BROWSER }, { status: 302, location: 'https://app.example.com/app/a,b?c=d,e' }],
    ['trusted: a comma-separated X-Forwarded-Host list counts by its first entry', trusted, '/auth', { 'X-Forwarded-Uri': '/app', 'X-Forwarded-Method': 'GET', 'X-Forwarded-Host': 'app.example.com, evil.example', Accept: BROWSER }, { status: 302, location: 'http://app.example.com/app' }],
    ['trusted: a spoofed X-User-Id never comes back in the answer', trusted, '/auth', { 'X-Original-URI': '/app', 'X-User-Id': SPOOFED, x_user_id: SPOOFED }, { status: 401 }],
  ];
  it.each(cases)('%s', async (_title, server, path, headers, expected) => {
    let test = request(server()).get(path);
    // An array value sends the header once per entry (superagent's typings only allow that for Cookie).
    for (const [name, value] of Object.entries(headers)) test = test.set(name, value as string);
    const res = await test;
    expect(res.status).toBe(expected.status);
    expect(JSON.stringify(res.headers)).not.toContain(SPOOFED);
    if (expected.location !== undefined) expect(res.headers.location).toBe(loginAt(expected.location));
    if (expected.userId !== undefined) expect(res.headers['x-user-id']).toBe(expected.userId);
  });

  it('answers the signed-in user\'s identity, never the client\'s spellings of it, in every dialect', async () => {
    const spoofs = { 'X-User-Id': SPOOFED, x_user_email: SPOOFED, 'X-SESSION-ID': SPOOFED };
    const dialects: Record<string, string>[] = [{ 'X-Original-URI': '/app' }, { 'X-Forwarded-Uri': '/app', 'X-Forwarded-Method': 'GET' }, {}];
    for (const dialect of dialects) {
      const res = await request(trusted()).get(Object.keys(dialect).length === 0 ? '/auth/app' : '/auth').set({ ...dialect, ...spoofs, Cookie: user.cookie });
      expect(res.status).toBe(200);
      expect(res.headers).toMatchObject({ 'x-user-id': user.id, 'x-user-email': 'spoof@example.com', 'x-session-id': user.sessionId });
    }
  });
});

describe('requireSession: spoofed forwarding headers and the login return_to', () => {
  const KRATOS = 'http://127.0.0.1:4433';
  const ALLOWED = ['http://app.test', 'https://app.test'];
  const login = (base: string, returnTo?: string) => `${base}/self-service/login/browser${returnTo ? `?return_to=${encodeURIComponent(returnTo)}` : ''}`;

  interface Setup {
    name: string;
    framework: Framework;
    trustProxy?: string;
    options: Parameters<typeof requireSession>[0];
  }
  const setups: Record<'off' | 'on' | 'plain' | 'relative', Setup> = {
    off: { name: 'Express 5 without trust proxy', framework: 'Express 5', options: { publicUrl: KRATOS } },
    on: { name: 'Express 5 trusting loopback, allowedReturnUrls', framework: 'Express 5', trustProxy: 'loopback', options: { publicUrl: KRATOS, allowedReturnUrls: ALLOWED } },
    plain: { name: 'plain http, relative browserUrl', framework: 'plain http', options: { publicUrl: KRATOS, browserUrl: '/.ory' } },
    relative: { name: 'Express 4 trusting loopback, relative browserUrl, allowedReturnUrls', framework: 'Express 4', trustProxy: 'loopback', options: { publicUrl: KRATOS, browserUrl: '/.ory', allowedReturnUrls: ALLOWED } },
  };
  const home = { off: login(KRATOS, 'http://app.test/x'), on: login(KRATOS, 'http://app.test/x'), plain: login('http://app.test/.ory', 'http://app.test/x'), relative: login('http://app.test/.ory', 'http://app.test/x') };

  /** Per setup: the exact Location of the 303, or 400. */
  type Outcome = Record<keyof typeof setups, string | 400>;
  const cases: [title: string, lines: string[], outcome: Outcome][] = [
    ['X-Forwarded-Host: evil.example', ['X-Forwarded-Host: evil.example'], { ...home, on: login(KRATOS), relative: 400 }],
    ['x_forwarded_host: evil.example', ['x_forwarded_host: evil.example'], home],
    ['X-Forwarded-Host twice, the spoofed one first', ['X-Forwarded-Host: evil.example', 'X-Forwarded-Host: app.test'], { ...home, on: login(KRATOS), relative: 400 }],
    ['X-Forwarded-Host list starting with the app', ['X-Forwarded-Host: app.test, evil.example'], home],
    ['X-Forwarded-Host padded with spaces', ['X-Forwarded-Host:    evil.example   '], { ...home, on: login(KRATOS), relative: 400 }],
    ['X-Forwarded-Host with a port', ['X-Forwarded-Host: evil.example:443'], { ...home, on: login(KRATOS), relative: 400 }],
    ['X-Forwarded-Host with user-info', ['X-Forwarded-Host: app.test@evil.example'], { ...home, on: 400, relative: 400 }],
    ['X-Forwarded-Host folded onto a second line', ['X-Forwarded-Host: app.test', ' evil.example'], { off: 400, on: 400, plain: 400, relative: 400 }],
    ['X-Forwarded-Proto: https', ['X-Forwarded-Proto: https'], { ...home, on: login(KRATOS, 'https://app.test/x'), relative: login('https://app.test/.ory', 'https://app.test/x') }],
    ['X-Forwarded-Proto: javascript', ['X-Forwarded-Proto: javascript'], home],
    ['x_forwarded_proto: https', ['x_forwarded_proto: https'], home],
    ['Forwarded: host=evil.example;proto=https', ['Forwarded: host=evil.example;proto=https'], home],
    ['X-Original-URL: //evil.example/', ['X-Original-URL: //evil.example/'], home],
    ['X-Rewrite-URL: https://evil.example/', ['X-Rewrite-URL: https://evil.example/'], home],
    ['X-Forwarded-Prefix: //evil.example', ['X-Forwarded-Prefix: //evil.example'], home],
    ['X-Forwarded-Port: 6666', ['X-Forwarded-Port: 6666'], home],
    ['X-Forwarded-Server and X-Host', ['X-Forwarded-Server: evil.example', 'X-Host: evil.example'], home],
    ['X-Real-IP', ['X-Real-IP: 6.6.6.6'], home],
  ];

  describe.each(Object.entries(setups) as [keyof typeof setups, Setup][])('%s', (key, setup) => {
    let server: Server;
    let port: number;
    beforeAll(async () => {
      server = createServer(appWith(setup.framework, [requireSession(setup.options)], { trustProxy: setup.trustProxy }));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it.each(cases)(`${setup.name}: %s`, async (_title, lines, outcome) => {
      const exchange = await rawExchange(port, head('GET /x HTTP/1.1', ['Host: app.test', 'Accept: text/html', ...lines, 'Connection: close']));
      const expected = outcome[key];
      if (expected === 400) return expect(statuses(exchange)).toEqual([400]);
      expect(statuses(exchange)).toEqual([303]);
      expect(exchange.responses[0].headers.location).toBe(expected);
    });
  });
});
