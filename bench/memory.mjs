// The memory scenario, in a process of its own started with --expose-gc: fills the kit's session cache
// with `max` distinct sessions through real whoami calls, measures RSS after GC, inserts 3 x `max` more
// distinct sessions and measures again. A bounded cache keeps RSS flat.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { onRequest, send } from './lib/ipc.mjs';

const TARGET_PCT = 10;
const PARALLEL = 64;
const kratosUrl = process.env.BENCH_KRATOS_URL;
const max = Number(process.env.BENCH_CACHE_MAX ?? 10_000);
const kit = createRequire(import.meta.url)(join(process.env.BENCH_KIT_DIR, 'index.js'));

if (typeof globalThis.gc !== 'function') throw new Error('memory.mjs must run with --expose-gc');

const prefix = randomBytes(192).toString('base64url');
const cookieOf = (i) => `ory_kratos_session=${prefix}${i.toString(36).padStart(8, '0')}`;

async function settle() {
  for (let i = 0; i < 6; i++) {
    globalThis.gc();
    await sleep(50);
  }
  const m = process.memoryUsage();
  const mb = (bytes) => Math.round((bytes / 2 ** 20) * 10) / 10;
  return { rssMB: mb(m.rss), heapUsedMB: mb(m.heapUsed), externalMB: mb(m.external), rss: m.rss };
}

async function insert(context, from, count) {
  let next = from;
  const end = from + count;
  const worker = async () => {
    while (next < end) {
      const credentials = kit.getCredentials({ headers: { cookie: cookieOf(next++) } }, 'ory_kratos_session');
      const result = await context.sessions.checkCredentials(credentials);
      if (result.state !== 'active') throw new Error(`session ${next - 1} is ${result.state}`);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

async function run() {
  const context = kit.createContext({ publicUrl: kratosUrl, cache: { ttl: '1h', max } });
  try {
    // one round trip first so that the pool, parsers and JIT are warm before the baseline
    await insert(context, 0, PARALLEL);
    context.sessions.clear();
    const empty = await settle();
    await insert(context, 0, max);
    const atMax = await settle();
    const hitsBefore = context.sessions.stats.cacheHits;
    await insert(context, 0, Math.min(max, 1000));
    const stillCached = context.sessions.stats.cacheHits - hitsBefore;
    await insert(context, max, 3 * max);
    const after = await settle();
    const rssGrowthPct = Math.round(((after.rss - atMax.rss) / atMax.rss) * 1000) / 10;
    return {
      max,
      inserted: 3 * max,
      whoamiCalls: context.sessions.stats.whoamiCalls,
      cacheHitsOnRecheck: stillCached,
      empty,
      atMax,
      after,
      cacheCostMB: Math.round((atMax.rss - empty.rss) / 2 ** 20 * 10) / 10,
      rssGrowthPct,
      targetPct: TARGET_PCT,
      pass: rssGrowthPct < TARGET_PCT,
    };
  } finally {
    await context.close();
  }
}

onRequest((msg) => {
  if (msg.type === 'run') return run();
  throw new Error(`unknown request ${msg.type}`);
});
send({ type: 'ready' });
