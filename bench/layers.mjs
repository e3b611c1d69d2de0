// Where the CPU of one session check goes: `node bench/layers.mjs` calls each layer of the kit in-process
// against the stub Kratos (50 calls in flight, distinct sessions, no cache) and prints CPU microseconds per
// call, best of 5 rounds, next to the minimum work (undici Pool.request + JSON.parse), with the garbage
// collector's pauses per call (far steadier than CPU here: it shows what outlives a call). Then the same for a
// cache hit (one session, cache on: no Kratos call), next to a middleware that does nothing. No HTTP server
// in front, so the differences are the kit's own work per request.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startChild } from './lib/ipc.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const kitDir = process.env.BENCH_KIT_DIR ?? join(here, '..', 'dist', 'cjs');
const require = createRequire(import.meta.url);
const kit = require(join(kitDir, 'index.js'));
const { Pool } = require('undici');
const { SessionFromJSON } = require('@ory/kratos-client-fetch');

const CALLS = 25_000;
const HITS = 200_000;
const IN_FLIGHT = 50;
const ROUNDS = 5;

const stub = startChild(join(here, 'kratos-stub.mjs'));
try {
  const { kratosUrl } = await stub.ready;
  const cookies = Array.from({ length: 5000 }, () => `ory_kratos_session=${randomBytes(200).toString('base64url')}`);
  const pool = new Pool(kratosUrl, { connections: 64, keepAliveTimeout: 4_000, keepAliveMaxTimeout: 60_000 });
  const context = kit.createContext({ publicUrl: kratosUrl });
  const middleware = kit.requireSession({ publicUrl: kratosUrl });
  const raw = async (cookie) => {
    const { body } = await pool.request({ method: 'GET', path: '/sessions/whoami', headers: { accept: 'application/json', cookie } });
    return JSON.parse(await body.text());
  };
  const throughMiddleware = (cookie) =>
    new Promise((resolve, reject) => {
      const req = { method: 'GET', url: '/hello', headers: { accept: 'application/json', cookie } };
      const res = { setHeader() {}, end: () => reject(new Error('requireSession refused the session')) };
      middleware(req, res, (err) => (err ? reject(err) : resolve(req.session)));
    });
  const layers = {
    'undici Pool.request + JSON.parse (minimum)': raw,
    '+ SessionFromJSON (the SDK model)': async (cookie) => SessionFromJSON(await raw(cookie)),
    'KratosClient.whoami()': (cookie) => context.client.whoami({ cookie }),
    'getCredentials() + SessionCore.checkCredentials()': (cookie) =>
      context.sessions.checkCredentials(kit.getCredentials({ headers: { cookie } }, 'ory_kratos_session')),
    'requireSession() middleware': throughMiddleware,
  };
  let gcMs = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const best = {};
  const bestGc = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, call] of Object.entries(layers)) {
      let next = 0;
      gcMs = 0;
      const start = process.cpuUsage();
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next < CALLS) await call(cookies[next++ % cookies.length]);
        }),
      );
      const used = process.cpuUsage(start);
      best[name] = Math.min(best[name] ?? Infinity, (used.user + used.system) / CALLS);
      await new Promise((resolve) => setImmediate(resolve)); // let the observer report this slice's collections
      bestGc[name] = Math.min(bestGc[name] ?? Infinity, (gcMs * 1000) / CALLS);
    }
  }
  gcObserver.disconnect();
  const print = (title, results, baseName, gc) => {
    const base = results[baseName];
    console.log(title);
    for (const [name, us] of Object.entries(results)) {
      const gcColumn = gc ? `  GC pauses ${gc[name].toFixed(2).padStart(6)} us` : '';
      console.log(`${name.padEnd(52)} ${us.toFixed(2).padStart(7)} us  ${((us - base >= 0 ? '+' : '') + (us - base).toFixed(2)).padStart(7)} us${gcColumn}`);
    }
  };
  print(`CPU per call in this process (best of ${ROUNDS} rounds of ${CALLS} calls, ${IN_FLIGHT} in flight):`, best, 'undici Pool.request + JSON.parse (minimum)', bestGc);

  // Cache hits: one session, warm cache; every call gets a fresh request object, as every HTTP request does.
  const cached = kit.createContext({ publicUrl: kratosUrl, cache: { ttl: '5m', max: 10_000 } });
  const cachedMiddleware = kit.requireSession({ publicUrl: kratosUrl, cache: { ttl: '5m', max: 10_000 } });
  const cookie = cookies[0];
  const freshRequest = () => ({ method: 'GET', url: '/hello', headers: { accept: 'application/json', cookie } });
  const freshResponse = (reject) => ({ locals: {}, setHeader() {}, end: () => reject(new Error('requireSession refused the session')) });
  const nothing = (req, _res, next) => next();
  const hits = {
    'a middleware that does nothing (minimum)': () => new Promise((resolve, reject) => nothing(freshRequest(), freshResponse(reject), resolve)),
    'getCredentials() (cookie parse + SHA-256)': () => kit.getCredentials(freshRequest(), 'ory_kratos_session'),
    'SessionCore.check(), cache hit': () => cached.sessions.check(freshRequest()),
    'requireSession() middleware, cache hit': () =>
      new Promise((resolve, reject) => {
        const req = freshRequest();
        cachedMiddleware(req, freshResponse(reject), (err) => (err ? reject(err) : resolve(req.session)));
      }),
  };
  for (const call of Object.values(hits)) await call();
  const bestHit = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, call] of Object.entries(hits)) {
      const start = process.cpuUsage();
      for (let i = 0; i < HITS; i++) await call();
      const used = process.cpuUsage(start);
      bestHit[name] = Math.min(bestHit[name] ?? Infinity, (used.user + used.system) / HITS);
    }
  }
  print(`\nCPU per cache hit (best of ${ROUNDS} rounds of ${HITS} sequential calls):`, bestHit, 'a middleware that does nothing (minimum)');
  await Promise.all([pool.close(), context.close(), cached.close(), kit.closeSharedContexts()]);
} finally {
  await stub.stop();
}
