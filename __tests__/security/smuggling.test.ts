import { closeSharedContexts } from '../../lib/context';
import { authGate } from '../../lib/proxy';
import { startEmulator, type TestEmulator } from '../helpers/emulator';
import { startUpstream, type EchoedRequest, type Upstream } from '../helpers/upstream';
import { listen, signedIn } from '../proxy/helpers';
import { head, rawExchange, statuses, type RawExchange } from './hostile-headers';

/*
 * Request-smuggling-style input sent over a raw socket to a listening authGate (session required everywhere) in
 * front of the echo upstream. Node's parser refuses most of it with 400; whatever it lets through, the upstream
 * must only ever receive requests that carried a valid session, with the gate's identity headers, and a request
 * hidden behind an authorised one (pipelined, or after a chunked body) is decided on its own.
 */

let kratos: TestEmulator;
let upstream: Upstream;
let user: Awaited<ReturnType<typeof signedIn>>;
let gate: Awaited<ReturnType<typeof listen>>;
let host: string;
let port: number;

beforeAll(async () => {
  kratos = await startEmulator();
  upstream = await startUpstream();
  user = await signedIn(kratos, 'smuggling@example.com');
  const handler = authGate({ publicUrl: kratos.publicUrl, upstream: upstream.url });
  gate = await listen(handler);
  handler.attach(gate.server);
  const url = new URL(gate.url);
  host = url.host;
  port = Number(url.port);
});
afterAll(async () => {
  // Across the whole file, every request the upstream received was authorised by the gate.
  expect(upstream.requests.filter((r) => !authorised(r))).toEqual([]);
  await gate.close();
  await closeSharedContexts();
  await upstream.close();
  await kratos.close();
});

const authorised = (r: EchoedRequest) => r.headers['x-user-id'] === user.id && r.headers['x-session-id'] === user.sessionId && r.headers['x-user-email'] === 'smuggling@example.com';

/** `{HOST}` and `{COOKIE}` (a whole header line) are filled in when the case runs. */
const H = '{HOST}';
const C = '{COOKIE}';
const JSON_ACCEPT = 'Accept: application/json';
const INNER = 'GET /admin HTTP/1.1\r\nHost: evil\r\n\r\n';
const WS = ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='];

interface Case {
  title: string;
  raw: string;
  /** Exact statuses of the responses, in order (interim 100 included); `[]` when the connection is dropped. */
  statuses: number[];
  /** Upstream requests it may cause, in order, as `METHOD url bodyLength`. */
  forwarded: string[];
}

const cases: Case[] = [
  // Framing conflicts: Node refuses the head, so the gate never sees it.
  { title: 'Content-Length and Transfer-Encoding: chunked together', raw: head('POST /a HTTP/1.1', [H, C, 'Content-Length: 4', 'Transfer-Encoding: chunked']) + '0\r\n\r\n', statuses: [400], forwarded: [] },
  { title: 'Transfer-Encoding: chunked and then Content-Length', raw: head('POST /a HTTP/1.1', [H, C, 'Transfer-Encoding: chunked', 'Content-Length: 4']) + '0\r\n\r\n', statuses: [400], forwarded: [] },
  { title: 'two different Content-Lengths', raw: head('POST /a HTTP/1.1', [H, C, 'Content-Length: 4', 'Content-Length: 5']) + 'abcde', statuses: [400], forwarded: [] },
  { title: 'the same Content-Length twice', raw: head('POST /a HTTP/1.1', [H, C, 'Content-Length: 4', 'Content-Length: 4']) + 'abcd', statuses: [400], forwarded: [] },
  { title: 'a Content-Length list', raw: head('POST /a HTTP/1.1', [H, C, 'Content-Length: 4, 5']) + 'abcde', statuses: [400], forwarded: [] },
  { title: 'a negative Content-Length', raw: head('POST /a HTTP/1.1', [H, C, 'Content-Length: -1']), statuses: [400], forwarded: [] },
  { title: 'a Content-Length with a plus sign', raw: head('POST /a HTTP/1.1', [H, C, 'Content-Length: +4']) + 'abcd', statuses: [400], forwarded: [] },
  { title: 'Transfer-Encoding: xchunked', raw: head('POST /a HTTP/1.1', [H, C, 'Transfer-Encoding: xchunked']) + '0\r\n\r\n', statuses: [400], forwarded: [] },
  { title: 'Transfer-Encoding: chunked, identity (chunked not last)', raw: head('POST /a HTTP/1.1', [H, C, 'Transfer-Encoding: chunked, identity']) + '0\r\n\r\n', statuses: [400], forwarded: [] },
  { title: 'Transfer-Encoding twice', raw: head('POST /a HTTP/1.1', [H, C, 'Transfer-Encoding: chunked', 'Transfer-Encoding: identity']) + '0\r\n\r\n', statuses: [400], forwarded: [] },
  { title: 'Transfer-Encoding with a space before the colon', raw: head('POST /a HTTP/1.1', [H, C, 'Transfer-Encoding : chunked']) + '0\r\n\r\n', statuses: [400], forwarded: [] },
  { title: 'Transfer-Encoding folded onto the next line (obs-fold)', raw: head('POST /a HTTP/1.1', [H, C, 'Transfer-Encoding:', ' chunked']) + '0\r\n\r\n', statuses: [400], forwarded: [] },
  { title: 'chunked folded onto another header (obs-fold)', raw: head('POST /a HTTP/1.1', [H, C, 'X-Note: a', ' Transfer-Encoding: chunked']) + '0\r\n\r\n', statuses: [400], forwarded: [] },
  { title: 'an invalid chunk size', raw: head('POST /a HTTP/1.1', [H, C, 'Transfer-Encoding: chunked']) + 'zz\r\nabcd\r\n0\r\n\r\n', statuses: [400], forwarded: [] },
  { title: 'bare LF line endings', raw: `GET /a HTTP/1.1\n${H}\n${C}\n\n`, statuses: [400], forwarded: [] },
  { title: 'bare LF after CRLF lines', raw: `GET /a HTTP/1.1\r\n${H}\n${C}\r\n\r\n`, statuses: [400], forwarded: [] },
  { title: 'a NUL byte in a header value', raw: head('GET /a HTTP/1.1', [H, C, 'X-Note: a\0b']), statuses: [400], forwarded: [] },
  { title: 'a header line without a colon', raw: head('GET /a HTTP/1.1', [H, C, 'X-User-Id attacker']), statuses: [400], forwarded: [] },
  { title: 'a space in the request target', raw: head('GET /a b HTTP/1.1', [H, C]), statuses: [400], forwarded: [] },
  { title: 'HTTP/1.2', raw: head('GET /a HTTP/1.2', [H, C]), statuses: [400], forwarded: [] },
  { title: 'the HTTP/2 connection preface', raw: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', statuses: [400], forwarded: [] },
  { title: 'a 20 kB header', raw: head('GET /a HTTP/1.1', [H, C, `X-Big: ${'a'.repeat(20_000)}`]), statuses: [431], forwarded: [] },
  { title: 'HTTP/1.1 without Host', raw: head('GET /a HTTP/1.1', [C]), statuses: [400], forwarded: [] },
  // What Node accepts reaches the gate, and is forwarded only with the session and re-framed.
  { title: 'HTTP/1.0 without Host (the gate refuses to build URLs from nothing)', raw: head('GET /a HTTP/1.0', [C]), statuses: [400], forwarded: [] },
  { title: 'OPTIONS * (no path to decide on)', raw: head('OPTIONS * HTTP/1.1', [H, C]), statuses: [400], forwarded: [] },
  { title: 'Transfer-Encoding: identity, chunked (chunked last)', raw: head('POST /a HTTP/1.1', [H, C, 'Transfer-Encoding: identity, chunked']) + '4\r\nabcd\r\n0\r\n\r\n', statuses: [200], forwarded: ['POST /a 4'] },
  { title: 'Transfer-Encoding with extra whitespace', raw: head('POST /a HTTP/1.1', [H, C, 'Transfer-Encoding: \t chunked']) + '4\r\nabcd\r\n0\r\n\r\n', statuses: [200], forwarded: ['POST /a 4'] },
  { title: 'a chunk extension', raw: head('POST /a HTTP/1.1', [H, C, 'Transfer-Encoding: chunked']) + '4;x="GET /admin"\r\nabcd\r\n0\r\n\r\n', statuses: [200], forwarded: ['POST /a 4'] },
  { title: 'an X-User-Id trailer after the last chunk', raw: head('POST /a HTTP/1.1', [H, C, 'Transfer-Encoding: chunked']) + '4\r\nabcd\r\n0\r\nX-User-Id: attacker\r\n\r\n', statuses: [200], forwarded: ['POST /a 4'] },
  { title: 'a whole request inside a Content-Length body', raw: head('POST /a HTTP/1.1', [H, C, `Content-Length: ${INNER.length}`]) + INNER, statuses: [200], forwarded: [`POST /a ${INNER.length}`] },
  { title: 'a request without a session after a chunked body', raw: head('POST /a HTTP/1.1', [H, C, 'Transfer-Encoding: chunked']) + '4\r\nabcd\r\n0\r\n\r\n' + head('GET /admin HTTP/1.1', [H, JSON_ACCEPT, 'X-User-Id: attacker']), statuses: [200, 401], forwarded: ['POST /a 4'] },
  { title: 'a request with a session after a chunked body without one', raw: head('POST /a HTTP/1.1', [H, JSON_ACCEPT, 'Transfer-Encoding: chunked']) + '0\r\n\r\n' + head('GET /admin HTTP/1.1', [H, C]), statuses: [401, 200], forwarded: ['GET /admin 0'] },
  { title: 'an absolute-form target on another host', raw: head('GET http://evil.example/admin?x=1 HTTP/1.1', [H, C]), statuses: [200], forwarded: ['GET /admin?x=1 0'] },
  { title: 'an absolute-form target with user-info', raw: head('GET http://user:pass@evil.example/admin HTTP/1.1', [H, C]), statuses: [200], forwarded: ['GET /admin 0'] },
  { title: 'an absolute-form target on another host, without a session', raw: head('GET http://evil.example/admin HTTP/1.1', [H, JSON_ACCEPT]), statuses: [401], forwarded: [] },
  { title: 'Host twice', raw: head('GET /a HTTP/1.1', [H, 'Host: evil.example', C]), statuses: [200], forwarded: ['GET /a 0'] },
  { title: 'Expect: 100-continue without a session', raw: head('POST /a HTTP/1.1', [H, JSON_ACCEPT, 'Expect: 100-continue', 'Content-Length: 5']), statuses: [100, 401], forwarded: [] },
  { title: 'Expect: 100-continue with a session', raw: head('POST /a HTTP/1.1', [H, C, 'Expect: 100-continue', 'Content-Length: 5']) + 'abcde', statuses: [100, 200], forwarded: ['POST /a 5'] },
  // Upgrades: only websockets are proxied; anything else is refused before the session is looked at.
  { title: 'Upgrade: h2c without a session', raw: head('GET /a HTTP/1.1', [H, 'Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA']), statuses: [400], forwarded: [] },
  { title: 'Upgrade: h2c with a session', raw: head('GET /a HTTP/1.1', [H, C, 'Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA']), statuses: [400], forwarded: [] },
  { title: 'Connection: upgrade to another protocol with a session', raw: head('GET /a HTTP/1.1', [H, C, 'Connection: upgrade', 'Upgrade: smuggle/1.0']), statuses: [400], forwarded: [] },
  { title: 'a websocket upgrade by POST with a session', raw: head('POST /a HTTP/1.1', [H, C, ...WS]), statuses: [400], forwarded: [] },
  { title: 'a websocket upgrade without a session', raw: head('GET /a HTTP/1.1', [H, ...WS]), statuses: [401], forwarded: [] },
  { title: 'CONNECT to another host (no CONNECT handler: dropped)', raw: head('CONNECT evil.example:443 HTTP/1.1', [H, C]), statuses: [], forwarded: [] },
  // Pipelining: each request on the connection is decided on its own credentials.
  { title: 'pipelined: the second request has no session', raw: head('GET /a HTTP/1.1', [H, C]) + head('GET /b HTTP/1.1', [H, JSON_ACCEPT]), statuses: [200, 401], forwarded: ['GET /a 0'] },
  { title: 'pipelined: only the second request has a session', raw: head('GET /a HTTP/1.1', [H, JSON_ACCEPT]) + head('GET /b HTTP/1.1', [H, C]), statuses: [401, 200], forwarded: ['GET /b 0'] },
  { title: 'pipelined: a session, then spoofed identity headers without one', raw: head('GET /a HTTP/1.1', [H, C]) + head('GET /b HTTP/1.1', [H, JSON_ACCEPT, 'X-User-Id: attacker', 'X-Session-Id: attacker']) + head('GET /c HTTP/1.1', [H, JSON_ACCEPT, 'Cookie: theme=dark']), statuses: [200, 401, 401], forwarded: ['GET /a 0'] },
  { title: 'pipelined: a POST with a body, then a request without a session', raw: head('POST /a HTTP/1.1', [H, C, 'Content-Length: 3']) + 'abc' + head('DELETE /b HTTP/1.1', [H, JSON_ACCEPT]), statuses: [200, 401], forwarded: ['POST /a 3'] },
];

function fill(raw: string): string {
  return raw.replaceAll(H, `Host: ${host}`).replaceAll(C, `Cookie: ${user.cookie}`);
}

async function send(c: Case): Promise<{ exchange: RawExchange; forwarded: EchoedRequest[] }> {
  const before = upstream.requests.length;
  const exchange = await rawExchange(port, fill(c.raw), Math.max(1, c.statuses.filter((s) => s >= 200).length));
  return { exchange, forwarded: upstream.requests.slice(before) };
}

describe('authGate over a raw socket', () => {
  // The exact answers, and the upstream receives only the authorised requests, each with the session's identity.
  it.each(cases)('$title', async (c) => {
    const { exchange, forwarded } = await send(c);
    expect(statuses(exchange)).toEqual(c.statuses);
    expect(forwarded.map((r) => `${r.method} ${r.url} ${r.bodyLength}`)).toEqual(c.forwarded);
    for (const r of forwarded) {
      expect(authorised(r)).toBe(true);
      expect(r.headers['x-forwarded-host']).toBe(host);
      expect(r.headers.host).toBe(new URL(upstream.url).host);
      expect(JSON.stringify(r.headers)).not.toMatch(/attacker|evil/);
    }
    if (c.statuses.length === 0) expect(exchange.closed).toBe(true);
  });

  it('refuses a non-websocket upgrade with a JSON 400 naming the reason', async () => {
    const { exchange } = await send(cases.find((c) => c.title === 'Upgrade: h2c with a session')!);
    expect(exchange.responses[0].headers['content-type']).toBe('application/json; charset=utf-8');
    expect(exchange.responses[0].headers.connection).toBe('close');
    expect(JSON.parse(exchange.responses[0].body).error).toMatchObject({ code: 400, message: expect.stringContaining('websocket') });
  });

  it('sends a browser without a session on an absolute-form or doubled-Host request to login for the gate\'s own URL', async () => {
    for (const raw of [head('GET http://evil.example/admin?x=1 HTTP/1.1', [H, 'Accept: text/html']), head('GET /admin?x=1 HTTP/1.1', [H, 'Host: evil.example', 'Accept: text/html'])]) {
      const exchange = await rawExchange(port, fill(raw));
      expect(statuses(exchange)).toEqual([303]);
      expect(exchange.responses[0].headers.location).toBe(`${kratos.publicUrl}/self-service/login/browser?return_to=${encodeURIComponent(`${gate.url}/admin?x=1`)}`);
    }
  });

  it('tests at least 40 distinct hostile inputs', () => {
    expect(new Set(cases.map((c) => c.title)).size).toBeGreaterThanOrEqual(40);
  });
});
