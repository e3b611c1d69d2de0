// The process under test of the soak (bench/soak.mjs): authGate() from the build on a plain node:http
// server, as users run it, in front of the recording upstream. Started with --expose-gc; samples its own
// memory every SAMPLE_MS and answers `settle` (forced GCs, then one sample) and `report` over IPC.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { onRequest, send } from './ipc.mjs';

const SAMPLE_MS = 250;
const require = createRequire(import.meta.url);
const kitDir = process.env.BENCH_KIT_DIR;
const kit = require(join(kitDir, 'index.js'));
const { authGate } = require(join(kitDir, 'proxy', 'index.js'));

if (typeof globalThis.gc !== 'function') throw new Error('soak-gate.mjs must run with --expose-gc');

const kratosOptions = { publicUrl: process.env.SOAK_KRATOS_URL };
if (process.env.SOAK_CACHE === '1') kratosOptions.cache = { ttl: '5m', max: 10_000 };
const gate = authGate({ ...kratosOptions, upstream: process.env.SOAK_UPSTREAM_URL });
const server = createServer({ keepAliveTimeout: 65_000 }, gate);
gate.attach(server);
const port = await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));

const started = Date.now();
/** [ms since start, rss, heapUsed] */
const samples = [];
const sample = () => {
  const m = process.memoryUsage();
  samples.push([Date.now() - started, m.rss, m.heapUsed]);
  return { rss: m.rss, heapUsed: m.heapUsed };
};
sample();
setInterval(sample, SAMPLE_MS).unref();

/** Several full GCs with pauses between them (finalizers, freed pages), then one sample. */
async function settle() {
  for (let i = 0; i < 6; i++) {
    globalThis.gc();
    await sleep(50);
  }
  return { atMs: Date.now() - started, ...sample() };
}

onRequest((msg) => {
  if (msg.type === 'settle') return settle();
  if (msg.type === 'report') return { samples, sessions: { ...kit.contextFor(kratosOptions).sessions.stats } };
  throw new Error(`unknown request ${msg.type}`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close();
  process.exit(0);
});
send({ type: 'ready', url: `http://127.0.0.1:${port}/hello` });
