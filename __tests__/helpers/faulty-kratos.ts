import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { kratosFixturePath } from './openapi';

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
 * - `valid`: 200 with the payload of the path ({@link kratosPayload}: a flow for `/self-service/<flow>/flows`,
 *   else an active session), a working Kratos;
 * - `text-plain`: that valid payload, sent as `text/plain`;
 * - `huge`: that valid payload grown to {@link HUGE_BYTES} bytes of JSON (a long trait or node value);
 * - `reset`: the connection is reset (RST) before any byte of the answer;
 * - `reset-after-headers`: 200 headers announcing a JSON body and its first bytes, then a reset 50 ms later;
 * - `inactive-session`: 200 with a session whose `active` is false (flows: as `valid`);
 * - `expired-session`: 200 with an `active` session whose `expires_at` is an hour ago (flows: as `valid`);
 * - `{ delayMs, then }`: answers as `then` after `delayMs` (nothing if the client left first);
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
  | 'valid'
  | 'text-plain'
  | 'huge'
  | 'reset'
  | 'reset-after-headers'
  | 'inactive-session'
  | 'expired-session'
  | { delayMs: number; then: FaultyBehaviour }
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
  /** Connections currently open (accepted and not yet closed). */
  readonly openConnections: number;
  /** Connections accepted since the start. */
  readonly acceptedConnections: number;
  setBehaviour(behaviour: FaultyBehaviour): void;
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

/** Size of the `huge` answers: twice the 4 MiB the client reads at most. */
export const HUGE_BYTES = 8 * 1024 * 1024;

const HOUR = 3_600_000;
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
const FLOW = /^\/self-service\/(login|registration|settings|recovery|verification)\/flows(?:\?|$)/;

/** The identity of {@link kratosSession}, rendered as on Kratos' public port (CONTRACT 4.2). */
function identity(base: string, id = '6f1c9a7e-3b1d-4c55-9f0e-2a7d1b9c8e01'): Record<string, unknown> {
  const created = iso(-30 * 24 * HOUR);
  return {
    id,
    schema_id: 'default',
    schema_url: `${base}/schemas/ZGVmYXVsdA`,
    state: 'active',
    state_changed_at: created,
    traits: { email: 'ada@example.com', name: { first: 'Ada', last: 'Lovelace' } },
    verifiable_addresses: [
      { id: 'c2e9d4b0-5d0a-4f0e-8d7c-3c1b2a0f9e11', value: 'ada@example.com', verified: true, via: 'email', status: 'completed', verified_at: created, created_at: created, updated_at: created },
    ],
    recovery_addresses: [{ id: 'a8f3e2d1-7c6b-4a59-8e0d-1f2a3b4c5d21', value: 'ada@example.com', via: 'email', created_at: created, updated_at: created }],
    metadata_public: null,
    created_at: created,
    updated_at: created,
    organization_id: null,
  };
}

/**
 * An active session as Kratos' `GET /sessions/whoami` sends it (CONTRACT 4.1): signed in with a password an
 * hour ago, expiring in 23 hours. `base` is Kratos' public URL (for `schema_url`); `overrides` replace fields.
 */
export function kratosSession(base = 'http://127.0.0.1:4433', overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const signedIn = iso(-HOUR);
  return {
    id: '0b6d3c2a-9e8f-4d7c-a1b2-c3d4e5f60718',
    active: true,
    expires_at: iso(23 * HOUR),
    authenticated_at: signedIn,
    authenticator_assurance_level: 'aal1',
    authentication_methods: [{ method: 'password', aal: 'aal1', completed_at: signedIn }],
    issued_at: signedIn,
    identity: identity(base),
    devices: [{ id: '9d8c7b6a-5f4e-4d3c-8b2a-190817263544', ip_address: '127.0.0.1', user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0', location: '' }],
    ...overrides,
  };
}

const FIXTURE_BY_FLOW: Record<string, string> = {
  login: 'login-password.json',
  registration: 'registration-password.json',
  settings: 'settings-profile.json',
  recovery: 'recovery-code.json',
  verification: 'verification-code.json',
};

/**
 * A browser flow as Kratos' `GET /self-service/<flow>/flows?id=` sends it (CONTRACT 4.3), with the UI nodes of
 * the recorded Kratos fixture of that flow.
 */
export function kratosFlow(flow: string, id: string, base = 'http://127.0.0.1:4433'): Record<string, unknown> {
  const fixture = JSON.parse(readFileSync(kratosFixturePath('fixtures', FIXTURE_BY_FLOW[flow] ?? FIXTURE_BY_FLOW.login), 'utf8')) as unknown;
  const nodes = Array.isArray(fixture) ? fixture : (fixture as { nodes: unknown[] }).nodes;
  const common = {
    id,
    type: 'browser',
    expires_at: iso(HOUR),
    issued_at: iso(0),
    request_url: `${base}/self-service/${flow}/browser`,
    ui: { action: `${base}/self-service/${flow}?flow=${id}`, method: 'POST', nodes },
  };
  switch (flow) {
    case 'login':
      return { ...common, organization_id: null, refresh: false, requested_aal: 'aal1', state: 'choose_method', created_at: iso(0), updated_at: iso(0) };
    case 'registration':
      return { ...common, organization_id: null, state: 'choose_method' };
    case 'settings':
      return { ...common, identity: identity(base), state: 'show_form' };
    default:
      return { ...common, active: 'code', state: 'choose_method' };
  }
}

/** What a working Kratos at `base` answers `req` with: the flow asked for, else the session. */
export function kratosPayload(req: IncomingMessage, base: string): Record<string, unknown> {
  const url = req.url ?? '/';
  const flow = FLOW.exec(url)?.[1];
  if (!flow) return kratosSession(base);
  return kratosFlow(flow, new URL(url, base).searchParams.get('id') || randomUUID(), base);
}

/** The payload grown to `bytes` of JSON through a long string (a trait of a session, a node value of a flow). */
const FILLER = Buffer.alloc(HUGE_BYTES, 'x');
const MARK = '@@filler@@';

/**
 * Answers `payload` grown to {@link HUGE_BYTES} bytes of JSON (a long node text or trait). The head goes
 * out before any of the body and the filler is built once: how long the answer takes to start does not
 * depend on how fast a loaded machine builds 8 MiB.
 */
function answerHuge(res: ServerResponse, payload: Record<string, unknown>): void {
  let text: string;
  if (payload.ui) {
    const ui = payload.ui as { nodes: unknown[] };
    const filler = { type: 'text', group: 'default', attributes: { id: 'filler', node_type: 'text', text: { id: 1, type: 'info', text: MARK } }, messages: [], meta: {} };
    text = JSON.stringify({ ...payload, ui: { ...ui, nodes: [...ui.nodes, filler] } });
  } else {
    const person = payload.identity as { traits: Record<string, unknown> };
    text = JSON.stringify({ ...payload, identity: { ...person, traits: { ...person.traits, bio: MARK } } });
  }
  const [head, tail] = text.split(MARK).map((part) => Buffer.from(part));
  const filler = FILLER.subarray(0, HUGE_BYTES - head.length - tail.length);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(HUGE_BYTES) });
  res.write(head);
  res.write(filler);
  res.end(tail);
}

/**
 * Answers one request as `behaviour` does, for composing behaviours in a function (`hang` leaves it unanswered,
 * `refuse` destroys the connection). Payloads name Kratos by the request's `Host`.
 *
 * @example
 * startFaultyKratos((req, res) => (req.url === '/health/ready' ? answerAs('valid', req, res) : answerAs('status500', req, res)));
 */
export function answerAs(behaviour: FaultyBehaviour, req: IncomingMessage, res: ServerResponse): void {
  if (behaviour === 'hang') return;
  if (behaviour === 'refuse') return void req.socket.destroy();
  if (typeof behaviour === 'function') return behaviour(req, res);
  if (typeof behaviour === 'object') {
    const timer = setTimeout(() => answerAs(behaviour.then, req, res), behaviour.delayMs);
    return void res.on('close', () => clearTimeout(timer));
  }
  const base = `http://${req.headers.host ?? '127.0.0.1'}`;
  // the session faults touch sessions only: a flow is answered as a working Kratos would
  const sessionWith = FLOW.test(req.url ?? '/') ? undefined : (overrides: Record<string, unknown>) => json(res, 200, kratosSession(base, overrides));
  switch (behaviour) {
    case 'valid':
      return json(res, 200, kratosPayload(req, base));
    case 'text-plain':
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end(JSON.stringify(kratosPayload(req, base)));
    case 'huge':
      return answerHuge(res, kratosPayload(req, base));
    case 'reset':
      return void req.socket.resetAndDestroy();
    case 'reset-after-headers': {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
      res.write(JSON.stringify(kratosPayload(req, base)).slice(0, 64));
      const timer = setTimeout(() => req.socket.resetAndDestroy(), 50);
      return void res.on('close', () => clearTimeout(timer));
    }
    case 'inactive-session':
      return sessionWith ? sessionWith({ active: false }) : json(res, 200, kratosPayload(req, base));
    case 'expired-session':
      return sessionWith ? sessionWith({ expires_at: iso(-HOUR), authenticated_at: iso(-25 * HOUR), issued_at: iso(-25 * HOUR) }) : json(res, 200, kratosPayload(req, base));
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
 * A deliberately faulty Kratos on loopback, on a free port or on `options.port` (to bring Kratos back on the
 * same port after an outage). Start one per test file; `close()` frees the port and every hanging connection.
 *
 * @example
 * const faulty = await startFaultyKratos('hang');
 * const app = sessionApp({ publicUrl: faulty.url, timeout: 200 });
 */
export async function startFaultyKratos(initial: FaultyBehaviour, options: { port?: number } = {}): Promise<FaultyKratos> {
  let behaviour = initial;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    answerAs(behaviour, req, res);
  });
  let accepted = 0;
  server.on('connection', (socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (behaviour === 'refuse') socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
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
    get openConnections() {
      return sockets.size;
    },
    get acceptedConnections() {
      return accepted;
    },
    setBehaviour(next) {
      behaviour = next;
    },
    close: stopListening,
  };
}
