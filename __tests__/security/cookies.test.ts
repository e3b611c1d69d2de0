import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import express from 'express';
import { closeSharedContexts } from '../../lib/context';
import { flowRoutes } from '../../lib/flows';
import { authGate } from '../../lib/proxy';
import { getSession } from '../../lib/session/attach';
import { requireSession } from '../../lib/session/factories';
import { startEmulator, type TestEmulator } from '../helpers/emulator';
import { startUpstream, type Upstream } from '../helpers/upstream';
import { signedIn, whoamiCalls } from '../proxy/helpers';
import { rawRequest, locationOf, type RawAnswer } from './hostile-requests';

/*
 * Malformed, duplicated and oversized Cookie headers, sent over a raw socket, through requireSession, the
 * flow pages (/settings checks the session) and authGate. Each case has one precise outcome; a bogus or
 * malformed credential never passes, and neither the app's handler nor the gate's upstream is reached
 * without a valid session.
 */

/**
 * - `pass`: the valid session is used; the handler / upstream is reached.
 * - `refused`: Kratos is asked with a credential it does not know: not signed in.
 * - `none`: no session credential at all: not signed in, Kratos is not asked.
 * - `bad`: the kit answers 400 BAD_REQUEST without asking Kratos.
 * - `node-400`: Node's HTTP parser refuses the header before the app sees it.
 * - `too-large`: the head is over Node's 16 KiB limit: 431 before the app sees it.
 */
type Outcome = 'pass' | 'refused' | 'none' | 'bad' | 'node-400' | 'too-large';

const BOGUS = 'bogus0session0value0that0kratos0does0not0know';
const MANY = Array.from({ length: 400 }, (_, i) => `pref${i}=${'v'.repeat(20)}`).join('; ');
const TOO_MANY = Array.from({ length: 700 }, (_, i) => `pref${i}=${'v'.repeat(20)}`).join('; ');

/** [name, Cookie header line(s) given the valid session value, outcome]. */
const CASES: [string, (valid: string) => string | string[], Outcome][] = [
  // Malformed.
  ['an empty session cookie', () => 'ory_kratos_session=', 'none'],
  ['a session cookie without "="', () => 'ory_kratos_session', 'none'],
  ['only semicolons', () => ';;;', 'none'],
  ['semicolons around a valid session', (v) => `;;;ory_kratos_session=${v};;;`, 'pass'],
  ['an unbalanced leading quote', (v) => `ory_kratos_session="${v}`, 'bad'],
  ['an unbalanced trailing quote', (v) => `ory_kratos_session=${v}"`, 'bad'],
  ['a quoted valid session', (v) => `ory_kratos_session="${v}"`, 'bad'],
  ['a non-ASCII character after a valid session', (v) => `ory_kratos_session=${v}\u00e9`, 'bad'],
  ['a non-ASCII value', () => 'ory_kratos_session=s\u00e9ssion\u2603', 'bad'],
  ['a space inside the value', (v) => `ory_kratos_session=${v} ${v}`, 'bad'],
  ['a tab inside the value', (v) => `ory_kratos_session=${v}\tx`, 'bad'],
  ['a comma joining a second session', (v) => `ory_kratos_session=${BOGUS},ory_kratos_session=${v}`, 'bad'],
  ['a backslash in the value', (v) => `ory_kratos_session=${v}\\`, 'bad'],
  ['a control character in the value', (v) => `ory_kratos_session=${v}\x01`, 'node-400'],
  ['a NUL byte in the value', (v) => `ory_kratos_session=${v}\x00`, 'node-400'],
  ['a DEL character in the value', (v) => `ory_kratos_session=${v}\x7f`, 'node-400'],
  ['a percent-encoded NUL as the value', () => 'ory_kratos_session=%00', 'refused'],
  ['the cookie name in upper case', (v) => `ORY_KRATOS_SESSION=${v}`, 'none'],
  ['the cookie name with a prefix', (v) => `xory_kratos_session=${v}`, 'none'],
  ['the cookie name with a suffix', (v) => `ory_kratos_session_=${v}`, 'none'],
  ['spaces around "="', (v) => ` ory_kratos_session = ${v} `, 'pass'],
  ['a tab before "="', (v) => `ory_kratos_session\t=${v}`, 'pass'],
  ['a bogus session', () => `ory_kratos_session=${BOGUS}`, 'refused'],
  // Duplicated: the first session cookie counts, as Kratos reads it.
  ['a valid then a bogus session cookie', (v) => `ory_kratos_session=${v}; ory_kratos_session=${BOGUS}`, 'pass'],
  ['a bogus then a valid session cookie', (v) => `ory_kratos_session=${BOGUS}; ory_kratos_session=${v}`, 'refused'],
  ['a valid then a malformed session cookie', (v) => `ory_kratos_session=${v}; ory_kratos_session="x`, 'pass'],
  ['a malformed then a valid session cookie', (v) => `ory_kratos_session="x; ory_kratos_session=${v}`, 'bad'],
  ['an empty then a valid session cookie', (v) => `ory_kratos_session=; ory_kratos_session=${v}`, 'none'],
  ['two Cookie headers, the bogus one first', (v) => [`ory_kratos_session=${BOGUS}`, `ory_kratos_session=${v}`], 'refused'],
  ['two Cookie headers, the valid one first', (v) => [`ory_kratos_session=${v}`, `ory_kratos_session=${BOGUS}`], 'pass'],
  ['two Cookie headers, the session in the second', (v) => ['theme=dark', `ory_kratos_session=${v}`], 'pass'],
  // Oversized.
  ['a 16 KB session cookie', () => `ory_kratos_session=${'a'.repeat(16 * 1024)}`, 'too-large'],
  ['a 5 KB session cookie', () => `ory_kratos_session=${'a'.repeat(5 * 1024)}`, 'bad'],
  ['a session cookie of exactly 4096 characters', () => `ory_kratos_session=${'a'.repeat(4096)}`, 'refused'],
  ['a valid session among 400 other cookies (11 KB)', (v) => `${MANY}; ory_kratos_session=${v}`, 'pass'],
  ['a valid session after 700 other cookies (19 KB)', (v) => `${TOO_MANY}; ory_kratos_session=${v}`, 'too-large'],
  ['16 KB of cookies over two header lines', (v) => [MANY, `${MANY.slice(0, 6000)}; ory_kratos_session=${v}`], 'too-large'],
];

/** With a head limit above the kit's own, the kit's 16 KiB limit on the Cookie header answers instead of Node. */
const LARGE_HEAD_CASES: [string, (valid: string) => string | string[], Outcome][] = [
  ['a valid session after 19 KB of cookies', (v) => `${TOO_MANY}; ory_kratos_session=${v}`, 'bad'],
  ['a 16 KB session cookie', () => `ory_kratos_session=${'a'.repeat(16 * 1024)}`, 'bad'],
  ['a valid session after 11 KB of cookies', (v) => `${MANY}; ory_kratos_session=${v}`, 'pass'],
];

let kratos: TestEmulator;
let upstream: Upstream;
let valid: string;
let sessionId: string;
const ports: Record<'session' | 'largeHead' | 'flows' | 'gate' | 'forwardingGate', number> = { session: 0, largeHead: 0, flows: 0, gate: 0, forwardingGate: 0 };
const closers: (() => Promise<void>)[] = [];

async function serve(handler: RequestListener, maxHeaderSize?: number): Promise<number> {
  const server = createServer(maxHeaderSize ? { maxHeaderSize } : {}, handler);
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as { port: number }).port;
}

function sessionApp(): RequestListener {
  const app = express();
  app.use(requireSession({ publicUrl: kratos.publicUrl }));
  app.use((req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('x-handler', 'reached');
    res.end(JSON.stringify({ session: getSession(req)?.id ?? null }));
  });
  app.use((err: { status?: number; code?: string }, _req: IncomingMessage, res: ServerResponse, _next: unknown) => {
    res.statusCode = err.status ?? 500;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ code: err.code ?? null }));
  });
  return app as unknown as RequestListener;
}

beforeAll(async () => {
  kratos = await startEmulator();
  upstream = await startUpstream();
  const user = await signedIn(kratos, 'cookies@example.com');
  valid = user.cookie.slice('ory_kratos_session='.length);
  sessionId = user.sessionId;
  expect(valid).toMatch(/^[\x21-\x7e]+$/);
  ports.session = await serve(sessionApp());
  ports.largeHead = await serve(sessionApp(), 64 * 1024);
  const flows = express();
  flows.use(flowRoutes({ publicUrl: kratos.publicUrl }));
  ports.flows = await serve(flows as unknown as RequestListener);
  ports.gate = await serve(authGate({ publicUrl: kratos.publicUrl, upstream: upstream.url }));
  ports.forwardingGate = await serve(authGate({ publicUrl: kratos.publicUrl, upstream: upstream.url, stripSessionCookie: false }));
});

afterAll(async () => {
  await closeSharedContexts();
  for (const close of closers) await close();
  await upstream.close();
  await kratos.close();
});

/** Sends `GET target` with the Cookie header line(s) of a case, as a browser navigation. */
function send(port: number, target: string, cookie: string | string[]): Promise<RawAnswer> {
  const lines = (Array.isArray(cookie) ? cookie : [cookie]).map((value): [string, string] => ['Cookie', value]);
  return rawRequest(port, `GET ${target} HTTP/1.1`, [['Host', 'app.test'], ['Accept', 'text/html'], ...lines]);
}

/** Runs a request and reports what it caused: whoami calls and upstream requests. */
async function observe(step: () => Promise<RawAnswer>): Promise<{ answer: RawAnswer; whoami: number; upstream: number }> {
  const whoami = whoamiCalls(kratos);
  const forwarded = upstream.requests.length;
  const answer = await step();
  return { answer, whoami: whoamiCalls(kratos) - whoami, upstream: upstream.requests.length - forwarded };
}

/** The outcomes every entry point answers alike: refused by Node before the app, or the kit's 400. */
function expectRefusedEarly(answer: RawAnswer, outcome: Outcome, whoami: number): boolean {
  if (outcome === 'too-large') {
    expect(answer.status).toBe(431);
  } else if (outcome === 'node-400') {
    expect(answer.status).toBe(400);
    expect(answer.body).toBe('');
  } else return false;
  expect(whoami).toBe(0);
  return true;
}

const cases = (table: typeof CASES) => table.map(([name, cookie, outcome]) => [name, cookie, outcome] as const);

describe('requireSession', () => {
  // Only the first well-formed session cookie is a credential; the handler runs only for the valid session.
  it.each(cases(CASES))('%s', async (_name, cookie, outcome) => {
    const { answer, whoami } = await observe(() => send(ports.session, '/private', cookie(valid)));
    if (expectRefusedEarly(answer, outcome, whoami)) return expect(answer.headers['x-handler']).toBeUndefined();
    if (outcome === 'pass') {
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ session: sessionId });
      return expect(whoami).toBe(1);
    }
    expect(answer.headers['x-handler']).toBeUndefined();
    if (outcome === 'bad') {
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toEqual({ code: 'BAD_REQUEST' });
      return expect(whoami).toBe(0);
    }
    expect(answer.status).toBe(303);
    expect(new URL(locationOf(answer)!).pathname).toBe('/self-service/login/browser');
    expect(whoami).toBe(outcome === 'refused' ? 1 : 0);
  });

  it.each(cases(LARGE_HEAD_CASES))('on a server allowing 64 KiB heads: %s', async (_name, cookie, outcome) => {
    const { answer, whoami } = await observe(() => send(ports.largeHead, '/private', cookie(valid)));
    if (outcome === 'pass') {
      expect(answer.status).toBe(200);
      return expect(JSON.parse(answer.body)).toEqual({ session: sessionId });
    }
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ code: 'BAD_REQUEST' });
    expect(whoami).toBe(0);
  });
});

describe('flowRoutes /settings', () => {
  // The settings page needs a session: a valid one starts the settings flow, anything else signs in first
  // (a malformed cookie is a 400 page).
  it.each(cases(CASES))('%s', async (_name, cookie, outcome) => {
    const { answer, whoami } = await observe(() => send(ports.flows, '/settings', cookie(valid)));
    if (expectRefusedEarly(answer, outcome, whoami)) return;
    if (outcome === 'bad') {
      expect(answer.status).toBe(400);
      expect(answer.headers['content-type']).toEqual(['text/html; charset=utf-8']);
      expect(answer.headers.location).toBeUndefined();
      return expect(whoami).toBe(0);
    }
    expect(answer.status).toBe(303);
    const to = new URL(locationOf(answer)!);
    expect(to.pathname).toBe(outcome === 'pass' ? '/self-service/settings/browser' : '/self-service/login/browser');
    expect(whoami).toBe(outcome === 'none' ? 0 : 1);
  });
});

describe('authGate', () => {
  // The upstream is reached only with the valid session, and by default never sees the credential itself,
  // however the Cookie header spells it.
  it.each(cases(CASES))('%s', async (_name, cookie, outcome) => {
    const { answer, whoami, upstream: forwarded } = await observe(() => send(ports.gate, '/app', cookie(valid)));
    if (expectRefusedEarly(answer, outcome, whoami)) return expect(forwarded).toBe(0);
    if (outcome === 'pass') {
      expect(answer.status).toBe(200);
      const seen = JSON.parse(answer.body).headers as Record<string, string | undefined>;
      expect(seen['x-session-id']).toBe(sessionId);
      expect(seen.cookie ?? '').not.toContain(valid);
      expect(seen.cookie ?? '').not.toMatch(/ory_kratos_session/);
      return expect(forwarded).toBe(1);
    }
    expect(forwarded).toBe(0);
    if (outcome === 'bad') {
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body).error).toMatchObject({ code: 400, status: 'Bad Request' });
      return expect(whoami).toBe(0);
    }
    expect(answer.status).toBe(303);
    expect(new URL(locationOf(answer)!).pathname).toBe('/self-service/login/browser');
    expect(whoami).toBe(outcome === 'refused' ? 1 : 0);
  });

  // With stripSessionCookie: false (an upstream that calls Kratos itself) the credential is passed on.
  it.each(cases(CASES).filter(([, , outcome]) => outcome === 'pass'))('with stripSessionCookie: false: %s', async (_name, cookie) => {
    const { answer, upstream: forwarded } = await observe(() => send(ports.forwardingGate, '/app', cookie(valid)));
    expect(answer.status).toBe(200);
    expect(forwarded).toBe(1);
    const seen = JSON.parse(answer.body).headers as Record<string, string | undefined>;
    expect(seen['x-session-id']).toBe(sessionId);
    expect(seen.cookie ?? '').toContain(valid);
  });
});

describe('authGate with a custom session cookie name', () => {
  let custom: TestEmulator;
  let port: number;
  let customValid: string;
  let customSessionId: string;
  beforeAll(async () => {
    custom = await startEmulator({ overrides: { session: { cookie: { name: 'app_session' } } } });
    const user = await signedIn(custom, 'custom-cookie@example.com');
    expect(user.cookie.startsWith('app_session=')).toBe(true);
    customValid = user.cookie.slice('app_session='.length);
    customSessionId = user.sessionId;
    port = await serve(authGate({ publicUrl: custom.publicUrl, sessionCookieName: 'app_session', upstream: upstream.url }));
  });
  afterAll(() => custom.close());

  // The name Kratos reads is the one the gate strips, however the header spaces it.
  it.each(cases(CASES).filter(([, , outcome]) => outcome === 'pass'))('%s', async (_name, cookie) => {
    const lines = cookie(customValid);
    const renamed = (Array.isArray(lines) ? lines : [lines]).map((line) => line.replace(/ory_kratos_session/g, 'app_session'));
    const answer = await send(port, '/app', renamed);
    expect(answer.status).toBe(200);
    const seen = JSON.parse(answer.body).headers as Record<string, string | undefined>;
    expect(seen['x-session-id']).toBe(customSessionId);
    expect(seen.cookie ?? '').not.toContain(customValid);
  });
});
