// Benchmark settings from the environment and the command line.
import { cpus } from 'node:os';

const number = (name, fallback) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}: ${JSON.stringify(raw)} is not a positive number of ${name.includes('DURATION') || name.includes('WARMUP') ? 'seconds' : 'units'}.`);
  return value;
};

/**
 * BENCH_DURATION  measured seconds per scenario (default 12; quick: 2), split into BENCH_ROUNDS slices
 * BENCH_WARMUP    warm-up seconds per scenario before the first round (default 2; quick: 0.5)
 * BENCH_ROUNDS    interleaved rounds (default 12; quick: 1)
 * BENCH_CONNECTIONS  autocannon connections, the same for every scenario (default 50)
 * BENCH_CACHE_MAX sessions the cache holds in the cache and memory scenarios (default 10000)
 * BENCH_VARIANTS  comma-separated: stub,emulator (default both)
 * BENCH_NODE_ARGS extra node options for the servers' process, space-separated (read by run.mjs)
 * BENCH_QUICK=1 or --quick: a smoke run of a few seconds per scenario
 */
export function readSettings(argv = process.argv.slice(2)) {
  const quick = argv.includes('--quick') || process.env.BENCH_QUICK === '1';
  const variants = (process.env.BENCH_VARIANTS ?? 'stub,emulator').split(',').map((v) => v.trim()).filter(Boolean);
  for (const v of variants) if (v !== 'stub' && v !== 'emulator') throw new Error(`BENCH_VARIANTS: ${JSON.stringify(v)} is not a variant. Use stub, emulator or stub,emulator.`);
  return {
    quick,
    duration: number('BENCH_DURATION', quick ? 2 : 12),
    warmup: number('BENCH_WARMUP', quick ? 0.5 : 2),
    rounds: Math.round(number('BENCH_ROUNDS', quick ? 1 : 12)),
    connections: Math.round(number('BENCH_CONNECTIONS', 50)),
    cacheMax: Math.round(number('BENCH_CACHE_MAX', 10_000)),
    concurrency: 200,
    concurrencyRepeats: quick ? 2 : 5,
    distinctCookies: 10_000,
    variants,
    cpus: cpus().length,
  };
}
