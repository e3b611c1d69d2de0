// Where the CPU of one session check goes: `node bench/layers.mjs` calls each layer of the kit in-process
// against the stub Kratos (50 calls in flight, distinct sessions, no cache) and prints CPU microseconds per
// call, best of 5 rounds, next to the minimum work (undici Pool.request + JSON.parse), with the garbage
// collector's pauses per call (far steadier than CPU here: it shows what outlives a call). Then a cache hit
// (one session, cache on: no Kratos call) through Express apps fed request objects in-process, next to a
// middleware that does nothing and one that only sets req.session. No socket, so the differences are the
// middleware's own work per request.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startChild } from './lib/ipc.mjs';
import { inProcessCaller } from './lib/routes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const kitDir = process.env.BENCH_KIT_DIR ?? join(here, '..', 'dist', 'cjs');
const require = createRequire(import.meta.url);
const kit = require(join(kitDir, 'index.js'));
const { Pool } = require('undici');
const express = require('express');
const { SessionFromJSON } = require('@ory/kratos-client-fetch');

const CALLS = 25_000;
const HITS = 50_000;
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

  // Cache hits: one session, warm cache, through Express apps that differ only by their middleware. Each call
  // is a fresh IncomingMessage/ServerResponse pair as Node builds them, so the request gets the hidden class
  // Express gives it (its prototype is replaced per request, and each property added to it afterwards costs
  // a new hidden class): plain objects would hide that cost.
  const cacheOptions = { publicUrl: kratosUrl, cache: { ttl: '5m', max: 10_000 } };
  const cached = kit.contextFor(cacheOptions);
  const cookie = cookies[0];
  await cached.sessions.check({ headers: { cookie } });
  let served = 0;
  const expressApp = (...middlewares) => {
    const app = express();
    for (const middleware of middlewares) app.use(middleware);
    app.get('/hello', () => served++);
    return app;
  };
  const throughApp = (app) => inProcessCaller(app, cookie);
  const hits = {
    'Express route, no middleware (minimum)': throughApp(expressApp()),
    '+ app.use((req, res, next) => next())': throughApp(expressApp((req, res, next) => next())),
    '+ a middleware setting req.session = value': throughApp(expressApp((req, res, next) => ((req.session = cookie), next()))),
    '+ a middleware calling getCredentials()': throughApp(expressApp((req, res, next) => (kit.getCredentials(req, 'ory_kratos_session'), next()))),
    '+ requireSession(), cache hit': throughApp(expressApp(kit.requireSession(cacheOptions))),
  };
  for (const call of Object.values(hits)) for (let i = 0; i < 20_000; i++) call();
  const bestHit = {};
  for (let round = 0; round < ROUNDS * 2; round++) {
    for (const [name, call] of Object.entries(hits)) {
      const before = served;
      const start = process.cpuUsage();
      for (let i = 0; i < HITS; i++) call();
      const used = process.cpuUsage(start);
      if (served - before !== HITS) throw new Error(`${name}: ${served - before} of ${HITS} calls reached the route`);
      bestHit[name] = Math.min(bestHit[name] ?? Infinity, (used.user + used.system) / HITS);
    }
  }
  print(`\nCPU per cache hit through Express (best of ${ROUNDS * 2} rounds of ${HITS} requests, same session):`, bestHit, 'Express route, no middleware (minimum)');
  await Promise.all([pool.close(), context.close(), kit.closeSharedContexts()]);
} finally {
  await stub.stop();
}
