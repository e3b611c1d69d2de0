// Profiles one scenario: `node bench/profile.mjs <scenario> [seconds]` runs the targets process under
// --cpu-prof against the stub Kratos, loads that scenario with autocannon, then prints the functions with
// the most self and inclusive time. The .cpuprofile stays in bench/profiles/ (open it in Chrome DevTools).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarize } from './lib/cpuprofile.mjs';
import { startChild } from './lib/ipc.mjs';
import { rotation, SCENARIOS } from './lib/scenarios.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const [name = 'kitDistinct', secondsArg = '8'] = process.argv.slice(2);
const scenario = SCENARIOS[name];
if (!scenario) {
  console.error(`Unknown scenario ${JSON.stringify(name)}. Use one of: ${Object.keys(SCENARIOS).join(', ')}.`);
  process.exit(1);
}
const kitDir = process.env.BENCH_KIT_DIR ?? join(here, '..', 'dist', 'cjs');
const profileDir = join(here, 'profiles');
mkdirSync(profileDir, { recursive: true });

const load = startChild(join(here, 'load.mjs'));
const stub = startChild(join(here, 'kratos-stub.mjs'));
try {
  await load.ready;
  const { kratosUrl, upstreamUrl } = await stub.ready;
  const cookies = Array.from({ length: 10_000 }, () => `ory_kratos_session=${randomBytes(200).toString('base64url')}`);
  await load.call('cookies', { cookies });
  const before = new Set(readdirSync(profileDir));
  const targets = startChild(join(here, 'targets.mjs'), {
    execArgv: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`],
    env: { BENCH_KRATOS_URL: kratosUrl, BENCH_UPSTREAM_URL: upstreamUrl, BENCH_KIT_DIR: kitDir },
  });
  const { urls } = await targets.ready;
  if (!urls[scenario.app]) throw new Error(`${name} is not available in this build`);
  const job = { url: urls[scenario.app], connections: 50, cookie: cookies[0], rotate: rotation(scenario) };
  const warm = await load.call('run', { ...job, duration: 2 });
  const result = await load.call('run', { ...job, duration: Number(secondsArg) });
  const served = warm.total + result.total;
  await targets.stop();
  const file = readdirSync(profileDir).find((f) => !before.has(f) && f.startsWith(name));
  console.log(`${name}: ${Math.round(result.ok / result.duration)} req/s under the profiler; profile ${join('bench/profiles', file)}`);
  const summary = summarize(join(profileDir, file));
  const perRequest = (ms) => ((ms * 1000) / served).toFixed(1).padStart(7);
  console.log(`\nself time (${summary.totalMs} ms sampled, ${served} requests served): %, us per request, function`);
  for (const row of summary.self) console.log(`${String(row.pct).padStart(5)}% ${perRequest(row.ms)}  ${row.fn}`);
  console.log('\ninclusive time');
  for (const row of summary.inclusive) console.log(`${String(row.pct).padStart(5)}% ${perRequest(row.ms)}  ${row.fn}`);
} finally {
  await Promise.all([load.stop(), stub.stop()]);
}
