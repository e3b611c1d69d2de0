// Where the cost of a session check goes, over HTTP: `node bench/http-layers.mjs` serves the same Express
// route behind each layer of the kit (one app per layer, all in this process) and loads them in turn with
// autocannon (its own process) against the stub Kratos. Without a cache (default): distinct sessions, from
// one raw undici request to requireSession(). With HIT=1: one session, the cache warm, from the route with
// no auth to requireSession() through a fixed session, getCredentials() and SessionCore.lookup(). Each
// round runs every app once, rotating the order; the printed ratio is the median over rounds of each app's
// requests/s over the first app's in the same round, next to the server CPU per request.
// BENCH_KIT_DIR picks the build (default dist/cjs); ROUNDS (default 8) and SLICE seconds (default 2).
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SessionFromJSON } from '@ory/kratos-client-fetch';
import { Pool } from 'undici';
import { startChild } from './lib/ipc.mjs';
import { activeSession, attachFixed, helloApp, serveApps } from './lib/routes.mjs';
import { median } from './lib/stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const kit = createRequire(import.meta.url)(join(process.env.BENCH_KIT_DIR ?? join(here, '..', 'dist', 'cjs'), 'index.js'));
const ROUNDS = Number(process.env.ROUNDS ?? 8);
const SLICE = Number(process.env.SLICE ?? 2);

const HIT = process.env.HIT === '1';
const COOKIE = `ory_kratos_session=${randomBytes(200).toString('base64url')}`;
const load = startChild(join(here, 'load.mjs'));
const stub = startChild(join(here, 'kratos-stub.mjs'));
let serving;
try {
  await load.ready;
  const { kratosUrl } = await stub.ready;
  if (!HIT) await load.call('cookies', { cookies: Array.from({ length: 10_000 }, () => `ory_kratos_session=${randomBytes(200).toString('base64url')}`) });

  const pool = new Pool(kratosUrl, { connections: 64, keepAliveTimeout: 4_000, keepAliveMaxTimeout: 60_000 });
  const context = kit.createContext({ publicUrl: kratosUrl });
  const cachedContext = kit.createContext({ publicUrl: kratosUrl, cache: { ttl: '5m' } });

  /** The no-cache layers: from one raw request to requireSession(), distinct sessions. */
  function missLayers() {
    /** A middleware that attaches what `session(req)` resolves to, or answers 401 for `undefined`. */
    const attach = (session) => (req, res, next) =>
      session(req).then((value) => (value === undefined ? res.status(401).end() : ((req.session = value), next())), next);
    const raw = async (req) => {
      const { statusCode, body } = await pool.request({ method: 'GET', path: '/sessions/whoami', headers: { accept: 'application/json', cookie: req.headers.cookie ?? '' } });
      const text = await body.text();
      return statusCode === 200 ? JSON.parse(text) : undefined;
    };
    const client = async (req) => {
      const answer = await context.client.whoami(kit.getCredentials(req, 'ory_kratos_session'));
      return answer.status === 200 ? answer.body : undefined;
    };
    return {
      'raw undici Pool.request + JSON.parse (baseline)': attach(raw),
      'raw undici + SessionFromJSON': attach(async (req) => SessionFromJSON(await raw(req))),
      'getCredentials + KratosClient.whoami': attach(client),
      '+ SessionFromJSON': attach(async (req) => SessionFromJSON(await client(req))),
      'SessionCore.check (coalescing, validation)': attach(async (req) => {
        const result = await context.sessions.check(req);
        return result.state === 'active' ? result.session : undefined;
      }),
      'requireSession()': kit.requireSession({ publicUrl: kratosUrl }),
    };
  }

  /** The warm-cache layers: the kit's cache hit taken apart, one session cookie. */
  async function hitLayers() {
    const fixed = await activeSession(cachedContext, COOKIE);
    return {
      'Express route, no auth (baseline)': undefined,
      'no-op app.use layer': (req, res, next) => next(),
      'a fixed session attached (req.session =)': attachFixed(fixed),
      'getCredentials (cookie parse, SHA-256)': (req, res, next) => (kit.getCredentials(req, 'ory_kratos_session'), next()),
      'SessionCore.lookup (a hit), req.session =': (req, res, next) => {
        const found = cachedContext.sessions.lookup(req);
        if (!(found instanceof Promise)) {
          req.session = found.session;
          return next();
        }
        // a miss: the cache entry's TTL ran out during a long run; check again, as requireSession() does
        found.then((result) => {
          if (result.state !== 'active') return next(new Error(`the Kratos side answered ${result.state}`));
          req.session = result.session;
          next();
        }, next);
      },
      'requireSession(), cache on': kit.requireSession({ publicUrl: kratosUrl, cache: { ttl: '5m' } }),
    };
  }

  const layers = HIT ? await hitLayers() : missLayers();
  serving = await serveApps(Object.fromEntries(Object.entries(layers).map(([name, middleware]) => [name, helloApp(middleware)])));
  const { urls } = serving;

  const names = Object.keys(urls);
  const job = (name, duration) => load.call('run', { url: urls[name], connections: 50, duration, ...(HIT ? { cookie: COOKIE } : { rotate: true }) });
  for (const name of names) await job(name, 1);
  const slices = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length];
      const cpu = process.cpuUsage();
      const result = await job(name, SLICE);
      const used = process.cpuUsage(cpu);
      if (result.non2xx || result.errors) throw new Error(`${name}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
      slices[name].push({ rps: result.total / SLICE, cpu: (used.user + used.system) / result.total });
    }
  }
  const [baseline] = names;
  console.log(`${ROUNDS} rounds of ${SLICE} s per layer, 50 connections, ${HIT ? 'one session, cache warm' : 'distinct sessions, no cache'}\n`);
  console.log(`${'layer'.padEnd(48)} ${'ratio'.padStart(6)} ${'rounds min-max'.padStart(15)} ${'CPU us/req'.padStart(11)}`);
  for (const name of names) {
    const ratios = slices[name].map((slice, i) => slice.rps / slices[baseline][i].rps);
    const range = `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`;
    console.log(`${name.padEnd(48)} ${median(ratios).toFixed(2).padStart(6)} ${range.padStart(15)} ${median(slices[name].map((s) => s.cpu)).toFixed(0).padStart(11)}`);
  }
  await Promise.all([pool.close(), context.close(), cachedContext.close(), kit.closeSharedContexts()]);
} finally {
  serving?.close();
  await load.stop();
  await stub.stop();
}
