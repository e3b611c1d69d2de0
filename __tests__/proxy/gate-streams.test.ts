import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';
import { closeSharedContexts } from '../../lib/context';
import { authGate } from '../../lib/proxy';
import { startEmulator, type TestEmulator } from '../helpers/emulator';
import { readRest, startUpstream, type Upstream } from '../helpers/upstream';
import { listen, signedIn } from './helpers';

let kratos: TestEmulator;
let upstream: Upstream;
let gate: Awaited<ReturnType<typeof listen>>;
let user: Awaited<ReturnType<typeof signedIn>>;

beforeAll(async () => {
  kratos = await startEmulator();
  upstream = await startUpstream();
  user = await signedIn(kratos, 'streams@example.com');
  const handler = authGate({ publicUrl: kratos.publicUrl, upstream: upstream.url });
  gate = await listen(handler);
  handler.attach(gate.server);
});
afterAll(async () => {
  await gate.close();
  await closeSharedContexts();
  await upstream.close();
  await kratos.close();
});

function openSocket(headers: Record<string, string>): Promise<{ ws: WebSocket; first: Record<string, unknown> } | { status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${gate.url.replace('http', 'ws')}/live`, { headers });
    ws.once('message', (data) => resolve({ ws, first: JSON.parse(String(data)) }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

describe('authGate: websockets', () => {
  it('proxies a websocket with a session: the upstream sees identity headers and the echo works', async () => {
    const opened = await openSocket({ cookie: user.cookie, 'x-user-id': 'forged' });
    if (!('ws' in opened)) throw new Error(`upgrade refused with ${opened.status}`);
    const headers = opened.first.headers as Record<string, string>;
    expect(headers['x-user-id']).toBe(user.id);
    expect(headers['x-user-email']).toBe('streams@example.com');
    const echo = new Promise<string>((resolve) => opened.ws.once('message', (d) => resolve(String(d))));
    opened.ws.send('ping through the gate');
    expect(await echo).toBe('ping through the gate');
    opened.ws.close();
  });

  it('refuses the upgrade without a session with 401 and never reaches the upstream', async () => {
    const before = upstream.requests.length;
    const refused = await openSocket({});
    expect(refused).toMatchObject({ status: 401 });
    expect(JSON.parse((refused as { body: string }).body).error.code).toBe(401);
    expect(upstream.requests.length).toBe(before);
  });
});

describe('authGate: streaming', () => {
  it('delivers the first SSE event before the upstream ends the stream', async () => {
    const res = await fetch(`${gate.url}/sse`, { headers: { cookie: user.cookie, accept: 'text/event-stream' } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString()).toBe('data: first\n\n');
    expect(upstream.openSse).toBe(1);
    upstream.endSse();
    expect(await readRest(reader)).toBe('data: last\n\n');
  });

  it('streams a 100 MB upload with backpressure: while the upstream reads nothing the client is held back, then every byte arrives', async () => {
    const chunk = Buffer.alloc(64 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) & 0xff;
    const chunks = 1600;
    const total = chunk.length * chunks;
    const hash = createHash('sha256');
    for (let i = 0; i < chunks; i++) hash.update(chunk);
    const expected = hash.digest('hex');

    // The upstream reads nothing of /stall until released. A gate that pipes holds only its sockets' and streams'
    // buffers (about 11 MB here), so the client's writes stop draining long before 100 MB; one that buffered the
    // body would take all of it. Once the writes have stopped draining for 500 ms, the upstream starts reading.
    let sentAtStall = 0;
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${gate.url}/stall`, { method: 'POST', headers: { cookie: user.cookie, 'content-type': 'application/octet-stream', 'content-length': String(total) } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      let sent = 0;
      const write = () => {
        while (sent < chunks) {
          sent++;
          if (!req.write(chunk)) {
            const held = setTimeout(() => {
              if (sentAtStall === 0) sentAtStall = sent * chunk.length;
              upstream.releaseStalled();
            }, 500);
            return void req.once('drain', () => {
              clearTimeout(held);
              write();
            });
          }
        }
        req.end();
        upstream.releaseStalled(); // never held back: let the answer come so the assertions below say so
      };
      write();
    });
    const seen = JSON.parse(body);
    expect(sentAtStall).toBeGreaterThan(0);
    expect(sentAtStall).toBeLessThan(40 * 1024 * 1024);
    expect(seen.bodyLength).toBe(total);
    expect(seen.sha256).toBe(expected);
    expect(seen.headers['x-user-id']).toBe(user.id);
    expect(upstream.stalled).toBe(0);
  });
});
