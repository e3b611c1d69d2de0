import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { closeSharedContexts } from '../../lib/context';
import { requireSession } from '../../lib/session/factories';
import { appWith, type Framework } from '../helpers/apps';

/*
 * Hostile request targets and headers sent over a raw socket (so nothing normalises them first) to an app
 * guarded by requireSession(). Without a session every answer must be a 303 to Kratos' login whose
 * return_to, when present, stays on the app's origin, or a 400. Kratos itself is never contacted: a request
 * without a session credential is refused without asking it.
 */
const KRATOS = 'http://127.0.0.1:4433';
const APP_ORIGIN = 'http://app.test';

type Case = [name: string, target: string, headers: Record<string, string>];

const requestCases: Case[] = [
  ['a protocol-relative path', '//evil.com/x', {}],
  ['a triple-slash path', '///evil.com/x', {}],
  ['a backslash path', '/\\evil.com', {}],
  ['an encoded double slash', '/%2f%2fevil.com', {}],
  ['an encoded upper-case double slash', '/%2F%2Fevil.com', {}],
  ['an encoded backslash', '/%5cevil.com', {}],
  ['a path starting with @', '/@evil.com', {}],
  ['a path looking like a scheme', '/javascript:alert(1)', {}],
  ['a path with encoded CR/LF', '/x%0d%0aSet-Cookie:%20a=1', {}],
  ['a path with an encoded NUL', '/x%00', {}],
  ['a return_to query parameter', '/x?return_to=https://evil.com/', {}],
  ['an over-long path', `/${'a'.repeat(3000)}`, {}],
  ['an absolute-form target to another host', 'http://evil.com/x', {}],
  ['an absolute-form https target', 'https://evil.com/x', {}],
  ['an absolute-form target with user-info', 'http://app.test@evil.com/x', {}],
  ['X-Forwarded-Host without trust proxy', '/x', { 'X-Forwarded-Host': 'evil.com' }],
  ['X-Forwarded-Proto without trust proxy', '/x', { 'X-Forwarded-Proto': 'javascript' }],
  ['X-Forwarded-Host with user-info', '/x', { 'X-Forwarded-Host': 'app.test@evil.com' }],
  ['Forwarded (RFC 7239)', '/x', { Forwarded: 'host=evil.com;proto=https' }],
  ['X-Original-URL', '/x', { 'X-Original-URL': '//evil.com/' }],
  ['X-Rewrite-URL', '/x', { 'X-Rewrite-URL': 'https://evil.com/' }],
  ['X-Forwarded-Prefix', '/x', { 'X-Forwarded-Prefix': '//evil.com' }],
];

/** Host header spoofing: harmless to others without an allow-list, refused with one (see docs/session.md). */
const hostCases: Case[] = [
  ['Host: evil.com', '/x', { Host: 'evil.com' }],
  ['Host with user-info', '/x', { Host: 'app.test@evil.com' }],
  ['Host with a path', '/x', { Host: 'evil.com/app.test' }],
  ['Host with a port and user-info', '/x', { Host: 'app.test:80@evil.com' }],
  ['Host as a sub-domain of the attacker', '/x', { Host: 'app.test.evil.com' }],
  ['Host with a backslash', '/x', { Host: 'evil.com\\app.test' }],
  ['Host with an invalid port', '/x', { Host: 'app.test:99999' }],
  ['an empty Host', '/x', { Host: '' }],
  ['a non-ASCII Host', '/x', { Host: 'аpp.test' }],
  ['Host with a percent-encoded dot', '/x', { Host: 'app%2etest' }],
];

/** With trust proxy, forwarded headers count: an allow-list keeps them from steering return_to. */
const trustedProxyCases: Case[] = [
  ['a trusted X-Forwarded-Host to another site', '/x', { 'X-Forwarded-Host': 'evil.com' }],
  ['a trusted X-Forwarded-Host list starting with another site', '/x', { 'X-Forwarded-Host': 'evil.com, app.test' }],
  ['a trusted X-Forwarded-Proto carrying a URL', '/x', { 'X-Forwarded-Proto': 'https://evil.com' }],
  ['a trusted X-Forwarded-Host with a backslash', '/x', { 'X-Forwarded-Host': 'evil.com\\@app.test' }],
];

function send(port: number, target: string, headers: Record<string, string>): Promise<{ status: number; location?: string }> {
  const all = { Host: 'app.test', Accept: 'text/html', ...headers };
  const head = `GET ${target} HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join('')}Connection: close\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(Buffer.from(head, 'utf8')));
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => (data += chunk));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer')));
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      const location = /\r\nlocation: ([^\r\n]*)/i.exec(data)?.[1];
      resolve({ status, location });
    });
  });
}

function expectNoEscape({ status, location }: { status: number; location?: string }, loginBase: string, allowedOrigins: string[]) {
  if (status === 400) return;
  expect(status).toBe(303);
  const url = new URL(location!);
  expect(url.origin + url.pathname).toBe(loginBase);
  expect([...url.searchParams.keys()].filter((k) => k !== 'return_to')).toEqual([]);
  const returnTo = url.searchParams.get('return_to');
  if (returnTo !== null) {
    const target = new URL(returnTo);
    expect(allowedOrigins).toContain(target.origin);
    expect(target.username + target.password).toBe('');
    expect(target.pathname.startsWith('//')).toBe(false);
    expect(returnTo).not.toMatch(/[\r\n\\]|%0d|%0a|%00|%5c/i);
  }
}

interface Setup {
  name: string;
  framework: Framework;
  trustProxy?: unknown;
  options: Parameters<typeof requireSession>[0];
  loginBase: string;
  cases: Case[];
}

const setups: Setup[] = [
  { name: 'Express 5, absolute browserUrl', framework: 'Express 5', options: {}, loginBase: `${KRATOS}/self-service/login/browser`, cases: requestCases },
  { name: 'Express 4, absolute browserUrl', framework: 'Express 4', options: {}, loginBase: `${KRATOS}/self-service/login/browser`, cases: requestCases },
  { name: 'plain http, relative browserUrl', framework: 'plain http', options: { browserUrl: '/.ory' }, loginBase: `${APP_ORIGIN}/.ory/self-service/login/browser`, cases: requestCases },
  {
    name: 'Express 5, pinned origins, relative browserUrl',
    framework: 'Express 5',
    options: { browserUrl: '/.ory', allowedReturnUrls: [APP_ORIGIN] },
    loginBase: `${APP_ORIGIN}/.ory/self-service/login/browser`,
    cases: [...requestCases, ...hostCases],
  },
  {
    name: 'Express 4, pinned origins, absolute browserUrl',
    framework: 'Express 4',
    options: { allowedReturnUrls: [APP_ORIGIN] },
    loginBase: `${KRATOS}/self-service/login/browser`,
    cases: [...requestCases, ...hostCases],
  },
  {
    name: 'Express 5 behind a trusted proxy, pinned origins',
    framework: 'Express 5',
    trustProxy: 'loopback',
    options: { allowedReturnUrls: [APP_ORIGIN, 'https://app.test'] },
    loginBase: `${KRATOS}/self-service/login/browser`,
    cases: [...requestCases.filter(([, , h]) => Object.keys(h).length === 0), ...trustedProxyCases],
  },
  {
    name: 'Express 4 behind a trusted proxy, pinned origins',
    framework: 'Express 4',
    trustProxy: 'loopback',
    options: { allowedReturnUrls: [APP_ORIGIN, 'https://app.test'] },
    loginBase: `${KRATOS}/self-service/login/browser`,
    cases: trustedProxyCases,
  },
];

afterAll(() => closeSharedContexts());

describe.each(setups)('return_to on $name', ({ framework, trustProxy, options, loginBase, cases }) => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer(appWith(framework, [requireSession({ publicUrl: KRATOS, ...options })], { trustProxy }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it.each(cases)('keeps %s from escaping', async (_name, target, headers) => {
    expectNoEscape(await send(port, target, headers), loginBase, [APP_ORIGIN, 'https://app.test']);
  });

  it('still returns an ordinary navigation to where it started', async () => {
    const { status, location } = await send(port, '/orders/42?tab=items', {});
    expect(status).toBe(303);
    expect(new URL(location!).searchParams.get('return_to')).toBe(`${APP_ORIGIN}/orders/42?tab=items`);
  });
});

it('tests at least 30 distinct hostile inputs', () => {
  expect(new Set([...requestCases, ...hostCases, ...trustedProxyCases].map(([name]) => name)).size).toBeGreaterThanOrEqual(30);
});
