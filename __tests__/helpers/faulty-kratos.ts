import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * How the faulty server answers every request:
 * - `refuse`: nothing listens on the port (connection refused);
 * - `hang`: accepts the request and never answers;
 * - `status500` / `status503`: Kratos-style JSON error with that status;
 * - `status429`: 429 with `Retry-After: 30`;
 * - `html`: 200 with an HTML page (a captive portal, a misrouted proxy);
 * - `truncated-json`: announces a JSON body and closes the connection half-way;
 * - `bad-json`: a complete answer whose JSON is malformed;
 * - `not-a-session`: 200 JSON that is not a session;
 * - a function: answers as the function does.
 */
export type FaultyBehaviour =
  | 'refuse'
  | 'hang'
  | 'status500'
  | 'status503'
  | 'status429'
  | 'html'
  | 'truncated-json'
  | 'bad-json'
  | 'not-a-session'
  | ((req: IncomingMessage, res: ServerResponse) => void);

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface FaultyKratos {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  setBehaviour(behaviour: FaultyBehaviour): void;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

function answer(behaviour: Exclude<FaultyBehaviour, 'refuse' | 'hang'>, req: IncomingMessage, res: ServerResponse): void {
  if (typeof behaviour === 'function') return behaviour(req, res);
  switch (behaviour) {
    case 'status500':
      return json(res, 500, { error: { code: 500, status: 'Internal Server Error', message: 'An internal server error occurred, please contact the system administrator' } });
    case 'status503':
      return json(res, 503, { error: { code: 503, status: 'Service Unavailable', message: 'database unavailable' } });
    case 'status429':
      return json(res, 429, { error: { code: 429, status: 'Too Many Requests', message: 'slow down' } }, { 'retry-after': '30' });
    case 'html':
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end('<!doctype html><title>Login to Wi-Fi</title>');
    case 'truncated-json':
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '400' });
      res.write('{"id":"5e2c0c6e-0000-4000-8000-000000000000","active":tr');
      return void setImmediate(() => res.socket?.destroy());
    case 'bad-json':
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"id": "x", active: true');
    case 'not-a-session':
      return json(res, 200, { hello: 'world' });
  }
}

/**
 * A deliberately faulty Kratos on loopback. Start one per test file; `close()` frees the port and every
 * hanging connection.
 *
 * @example
 * const faulty = await startFaultyKratos('hang');
 * const app = sessionApp({ publicUrl: faulty.url, timeout: 200 });
 */
export async function startFaultyKratos(initial: FaultyBehaviour): Promise<FaultyKratos> {
  let behaviour = initial;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (behaviour === 'hang') return;
    if (behaviour === 'refuse') return void req.socket.destroy();
    answer(behaviour, req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (behaviour === 'refuse') socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  let listening = true;

  const stopListening = async () => {
    if (!listening) return;
    listening = false;
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  if (initial === 'refuse') await stopListening();

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setBehaviour(next) {
      behaviour = next;
    },
    close: stopListening,
  };
}
