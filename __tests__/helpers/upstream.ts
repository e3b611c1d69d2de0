import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';

/** What the echo server saw of one request. */
export interface EchoedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Raw header names as sent on the wire (to check spellings such as `x_user_id`). */
  rawHeaderNames: string[];
  /** Port of the connection the request came on (equal ports: a reused keep-alive connection). */
  remotePort: number;
  bodyLength: number;
  /** Hex SHA-256 of the body. */
  sha256: string;
}

export interface Upstream {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Every request received (websocket upgrades included), in order. */
  readonly requests: EchoedRequest[];
  /** Ends every open `/sse` stream (sends `data: last` first). */
  endSse(): void;
  /** Number of `/sse` streams currently open. */
  readonly openSse: number;
  /** Number of `/stall` requests whose body is not being read. */
  readonly stalled: number;
  /** Starts reading the body of every `/stall` request, waiting or to come (then answers as any path does). */
  releaseStalled(): void;
  close(): Promise<void>;
}

/**
 * An upstream service for gate tests on loopback:
 * - any path: answers 200 JSON {@link EchoedRequest} after reading the whole body (streamed, hashed, not kept);
 * - `/sse`: an event stream that sends `data: first` at once and `data: last` only when {@link Upstream.endSse} is called;
 * - `/slow`: never answers (for timeouts);
 * - `/stall`: reads nothing of the body until {@link Upstream.releaseStalled} is called (for backpressure), then as any path;
 * - `/redirect`: 302 to `/elsewhere`;
 * - websocket upgrades on any path: the first message is the JSON of the upgrade request, then every message is echoed.
 */
export async function startUpstream(): Promise<Upstream> {
  const requests: EchoedRequest[] = [];
  const sse = new Set<ServerResponse>();
  const stalled = new Set<() => void>();
  let stalling = true;
  const sockets = new Set<Socket>();
  const wss = new WebSocketServer({ noServer: true });

  const record = (req: { method?: string; url?: string; headers: IncomingHttpHeaders; rawHeaders: string[]; socket: { remotePort?: number } }, bodyLength: number, sha256: string): EchoedRequest => {
    const entry = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      rawHeaderNames: req.rawHeaders.filter((_, i) => i % 2 === 0),
      remotePort: req.socket.remotePort ?? 0,
      bodyLength,
      sha256,
    };
    requests.push(entry);
    return entry;
  };

  const server: Server = createServer((req, res) => {
    if (req.url === '/slow') return;
    if (req.url === '/sse') {
      record(req, 0, '');
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: first\n\n');
      sse.add(res);
      res.on('close', () => sse.delete(res));
      return;
    }
    if (req.url === '/redirect') {
      record(req, 0, '');
      res.writeHead(302, { location: '/elsewhere' });
      return void res.end();
    }
    const echo = () => {
      const hash = createHash('sha256');
      let length = 0;
      req.on('data', (chunk: Buffer) => {
        length += chunk.length;
        hash.update(chunk);
      });
      req.on('end', () => {
        const entry = record(req, length, hash.digest('hex'));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(entry));
      });
      req.resume();
    };
    if (req.url !== '/stall' || !stalling) return echo();
    req.pause();
    stalled.add(echo);
    req.on('close', () => stalled.delete(echo));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req, socket, head) => {
    const entry = record(req, 0, '');
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(JSON.stringify(entry));
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    endSse() {
      for (const res of sse) res.end('data: last\n\n');
    },
    get openSse() {
      return sse.size;
    },
    get stalled() {
      return stalled.size;
    },
    releaseStalled() {
      stalling = false;
      for (const echo of stalled) echo();
      stalled.clear();
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Reads what is left of a streamed response body (e.g. the SSE events after the first) as text. */
export async function readRest(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  let rest = '';
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) return rest;
    rest += Buffer.from(chunk.value).toString();
  }
}
