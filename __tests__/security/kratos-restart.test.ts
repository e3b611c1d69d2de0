import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createKratos } from '../../lib/create-kratos';
import { kratosSession, startFaultyKratos, type FaultyKratos } from '../helpers/faulty-kratos';
import { startUpstream } from '../helpers/upstream';
import { listen } from '../proxy/helpers';
import { recordUnhandledRejections, type RejectionRecorder } from './fault-sites';

/** Length of each part of a run: traffic with Kratos up, Kratos stopped, Kratos back. */
const PART_MS = 1000;
/** Requests one worker sends at most (the run is bounded in time and in requests). */
const MAX_PER_WORKER = 3000;

type Kind = 'valid' | 'none' | 'bogus';
// 10 workers: half with a valid session (one session each), the others without a cookie or with a bogus one
const WORKERS: Kind[] = ['valid', 'valid', 'valid', 'valid', 'valid', 'none', 'none', 'none', 'bogus', 'bogus'];

interface Result {
  worker: number;
  kind: Kind;
  started: number;
  ended: number;
  status: number;
  message?: string;
  error?: string;
}

interface Marks {
  stopping: number;
  stopped: number;
  restarting: number;
  restarted: number;
}

const UNAUTHORIZED = { error: { code: 401, status: 'Unauthorized', reason: 'No valid session credentials found in the request.', message: 'The request could not be authorized' } };

/** A working Kratos' whoami: the session of a known cookie, else its id-less 401 (CONTRACT 2.1). */
function whoami(sessions: ReadonlyMap<string, Record<string, unknown>>) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const value = /(?:^|;\s*)ory_kratos_session=([^;]*)/.exec(req.headers.cookie ?? '')?.[1];
    const session = value === undefined ? undefined : sessions.get(value);
    res.writeHead(session ? 200 : 401, { 'content-type': 'application/json' });
    res.end(JSON.stringify(session ?? UNAUTHORIZED));
  };
}

/** Five sessions of five identities, keyed by their cookie value. */
function knownSessions(): Map<string, Record<string, unknown>> {
  const sessions = new Map<string, Record<string, unknown>>();
  for (let i = 0; i < 5; i++) {
    const base = kratosSession();
    const identity = { ...(base.identity as object), id: randomUUID(), traits: { email: `user${i}@example.com` } };
    sessions.set(randomBytes(24).toString('base64url'), { ...base, id: randomUUID(), identity });
  }
  return sessions;
}

function send(url: string, headers: Record<string, string>, agent: Agent): Promise<{ status: number; body: string; error?: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (err) => resolve({ status: 0, body, error: (err as NodeJS.ErrnoException).code ?? err.message }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', (err) => resolve({ status: 0, body: '', error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs 10 workers of sequential keep-alive requests through the gate for 3 parts of {@link PART_MS}: Kratos
 * up, stopped (closed, every connection cut), back on the same port knowing the same sessions.
 */
async function run(cache: false | { ttl: string }) {
  const sessions = knownSessions();
  const cookies = [...sessions.keys()];
  let kratos: FaultyKratos = await startFaultyKratos(whoami(sessions));
  const port = Number(new URL(kratos.url).port);
  const upstream = await startUpstream();
  const kit = createKratos({ publicUrl: kratos.url, timeout: 2000, cache });
  const gate = await listen(kit.authGate({ upstream: upstream.url }));
  const agent = new Agent({ keepAlive: true, maxSockets: WORKERS.length });
  const results: Result[] = [];
  const t0 = performance.now();
  const at = () => performance.now() - t0;
  let running = true;

  const worker = async (index: number, kind: Kind) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (kind === 'valid') headers.cookie = `ory_kratos_session=${cookies[index]}`;
    if (kind === 'bogus') headers.cookie = `ory_kratos_session=bogus-${index}-${randomBytes(8).toString('hex')}`;
    for (let n = 0; running && n < MAX_PER_WORKER; n++) {
      const started = at();
      const answer = await send(`${gate.url}/w${index}/${n}`, headers, agent);
      const result: Result = { worker: index, kind, started, ended: at(), status: answer.status };
      if (answer.error) result.error = answer.error;
      if (answer.status !== 200 && answer.status !== 0) result.message = (JSON.parse(answer.body) as { error: { message: string } }).error.message;
      results.push(result);
    }
  };

  const workers = WORKERS.map((kind, index) => worker(index, kind));
  const marks = {} as Marks;
  try {
    await sleep(PART_MS);
    marks.stopping = at();
    await kratos.close();
    marks.stopped = at();
    await sleep(PART_MS);
    marks.restarting = at();
    kratos = await startFaultyKratos(whoami(sessions), { port });
    marks.restarted = at();
    await sleep(PART_MS);
  } finally {
    running = false;
    await Promise.all(workers);
    agent.destroy();
    await gate.close();
    await kit.close();
    await upstream.close();
  }
  const restartedKratos = kratos;
  await kratos.close();
  return { sessions, results, marks, upstream, kit, restartedKratos };
}

type Phase = 'before' | 'stopping' | 'outage' | 'restarting' | 'after';
const phaseOf = (r: Result, m: Marks): Phase =>
  r.ended < m.stopping ? 'before'
    : r.started >= m.stopped && r.ended <= m.restarting ? 'outage'
      : r.started >= m.restarted ? 'after'
        : r.started < m.stopped ? 'stopping' : 'restarting';

const count = (results: Result[]) => {
  const table: Record<string, number> = {};
  for (const r of results) table[`${r.kind} ${r.status}`] = (table[`${r.kind} ${r.status}`] ?? 0) + 1;
  return table;
};

const STATUS_OF: Record<Kind, number> = { valid: 200, none: 401, bogus: 401 };

// What each kind of request may be answered in each phase, cache off and on. A request without a cookie never
// needs Kratos (401 at once); one Kratos has to be asked about answers 502 while it is down; with the cache, a
// session cached before the outage keeps being served.
const ALLOWED: Record<'off' | 'on', Record<Phase, Record<Kind, number[]>>> = {
  off: {
    before: { valid: [200], none: [401], bogus: [401] },
    stopping: { valid: [200, 502], none: [401], bogus: [401, 502] },
    outage: { valid: [502], none: [401], bogus: [502] },
    restarting: { valid: [200, 502], none: [401], bogus: [401, 502] },
    after: { valid: [200], none: [401], bogus: [401] },
  },
  on: {
    before: { valid: [200], none: [401], bogus: [401] },
    stopping: { valid: [200], none: [401], bogus: [401, 502] },
    outage: { valid: [200], none: [401], bogus: [502] },
    restarting: { valid: [200], none: [401], bogus: [401, 502] },
    after: { valid: [200], none: [401], bogus: [401] },
  },
};

let rejections: RejectionRecorder;
beforeAll(() => {
  rejections = recordUnhandledRejections();
});
afterAll(() => rejections.stop());

describe.each([
  ['off', false],
  ['on', { ttl: '1m' }],
] as const)('authGate with the session cache %s, Kratos stopped for a second and restarted under load', (variant, cache) => {
  let outcome: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    outcome = await run(cache);
  }, 20_000);

  it('answers every request with what its phase allows, and nothing else', () => {
    const { results, marks } = outcome;
    expect(results.filter((r) => r.error)).toEqual([]);
    const byPhase = new Map<Phase, Result[]>();
    for (const r of results) byPhase.set(phaseOf(r, marks), [...(byPhase.get(phaseOf(r, marks)) ?? []), r]);
    for (const phase of ['before', 'outage', 'after'] as const) {
      for (const kind of ['valid', 'none', 'bogus'] as const) expect((byPhase.get(phase) ?? []).filter((r) => r.kind === kind).length).toBeGreaterThan(0);
    }
    const unexpected = results.filter((r) => !ALLOWED[variant][phaseOf(r, marks)][r.kind].includes(r.status)).map((r) => ({ ...r, phase: phaseOf(r, marks) }));
    expect(unexpected).toEqual([]);
    if (process.env.KRATOS_RESTART_REPORT) {
      const table = Object.fromEntries([...byPhase].map(([phase, rs]) => [phase, count(rs)]));
      console.info(`cache ${variant}: ${results.length} requests, marks ${JSON.stringify(marks)}\n${JSON.stringify(table, null, 1)}`);
    }
  });

  it('never answers 200 without a valid session, and says why it answers 502', () => {
    const { results } = outcome;
    expect(results.filter((r) => r.kind !== 'valid' && r.status === 200)).toEqual([]);
    const why = new Set(results.filter((r) => r.status === 502).map((r) => r.message?.replace(/:\d+/, ':<port>').replace(/\(.*\)/, '(...)')));
    for (const message of why) expect(message).toMatch(/^Kratos could not be reached at http:\/\/127\.0\.0\.1:<port> \(\.\.\.\)\.$|^Kratos closed the connection before its answer to GET \/sessions\/whoami was complete\.$/);
    expect(results.filter((r) => r.status === 401).every((r) => r.message === 'This resource requires a session. Sign in first.')).toBe(true);
  });

  it('forwards upstream only requests of a valid session, with that session identity and without its cookie', () => {
    const { results, sessions, upstream } = outcome;
    const cookies = [...sessions.keys()];
    expect(upstream.requests.length).toBe(results.filter((r) => r.status === 200).length);
    for (const seen of upstream.requests) {
      // the path names the worker (/w<index>/<n>), and so the cookie it sent
      const index = Number(/^\/w(\d+)\//.exec(seen.url)?.[1]);
      expect(WORKERS[index]).toBe('valid');
      const session = sessions.get(cookies[index]) as { id: string; identity: { id: string } } | undefined;
      expect(session).toBeDefined();
      expect(seen.headers['x-session-id']).toBe(session?.id);
      expect(seen.headers['x-user-id']).toBe(session?.identity.id);
      expect(String(seen.headers.cookie ?? '')).not.toContain('ory_kratos_session');
    }
  });

  it('answers a valid session 200 again within a second of Kratos being back', () => {
    const { results, marks } = outcome;
    const firstValid = results.filter((r) => r.kind === 'valid' && r.status === 200 && r.ended > marks.restarted).sort((a, b) => a.ended - b.ended)[0];
    const firstBogus = results.filter((r) => r.kind === 'bogus' && r.status === 401 && r.ended > marks.restarted).sort((a, b) => a.ended - b.ended)[0];
    expect(firstValid).toBeDefined();
    expect(firstValid.ended - marks.restarted).toBeLessThan(1000);
    expect(firstBogus).toBeDefined();
    if (process.env.KRATOS_RESTART_REPORT) {
      console.info(`cache ${variant}: restart -> first valid 200 ${(firstValid.ended - marks.restarted).toFixed(1)} ms, first bogus 401 ${(firstBogus.ended - marks.restarted).toFixed(1)} ms`);
    }
  });

  if (variant === 'on') {
    it('serves the cached sessions through the outage without asking Kratos: the restarted Kratos is asked about bogus cookies only', () => {
      const { restartedKratos, sessions, kit } = outcome;
      const asked = restartedKratos.requests.map((r) => /ory_kratos_session=([^;]*)/.exec(String(r.headers.cookie))?.[1] ?? '');
      expect(asked.length).toBeGreaterThan(0);
      expect(asked.filter((value) => sessions.has(value))).toEqual([]);
      expect(kit.context.sessions.stats.cacheHits).toBeGreaterThan(0);
    });
  }
});

it('saw no unhandled promise rejection', () => {
  expect(rejections.seen).toEqual([]);
});
