// Where the CPU of one session check goes: `node bench/layers.mjs` calls each layer of the kit in-process
// against the stub Kratos (50 calls in flight, distinct sessions, no cache) and prints CPU microseconds per
// call, best of 5 rounds, next to the minimum work (undici Pool.request + JSON.parse). No HTTP server in
// front, so the differences are the kit's own work per request.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild } from './lib/ipc.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const kitDir = process.env.BENCH_KIT_DIR ?? join(here, '..', 'dist', 'cjs');
const require = createRequire(import.meta.url);
const kit = require(join(kitDir, 'index.js'));
const { Pool } = require('undici');
const { SessionFromJSON } = require('@ory/kratos-client-fetch');

const CALLS = 25_000;
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
  const best = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, call] of Object.entries(layers)) {
      let next = 0;
      const start = process.cpuUsage();
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next < CALLS) await call(cookies[next++ % cookies.length]);
        }),
      );
      const used = process.cpuUsage(start);
      best[name] = Math.min(best[name] ?? Infinity, (used.user + used.system) / CALLS);
    }
  }
  const base = best['undici Pool.request + JSON.parse (minimum)'];
  console.log(`CPU per call in this process (best of ${ROUNDS} rounds of ${CALLS} calls, ${IN_FLIGHT} in flight):`);
  for (const [name, us] of Object.entries(best)) {
    console.log(`${name.padEnd(52)} ${us.toFixed(1).padStart(6)} us  ${(us - base >= 0 ? '+' : '') + (us - base).toFixed(1)} us`);
  }
  await Promise.all([pool.close(), context.close(), kit.closeSharedContexts()]);
} finally {
  await stub.stop();
}
