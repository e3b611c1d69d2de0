// Paired, simultaneous measurement of the warm cache: `node bench/paired.mjs` (after npm run build).
//
// npm run bench loads one scenario at a time, so a ratio compares two slices run seconds apart, and this
// shared machine's speed changes from one second to the next (single rounds of one ratio span 0.5-1.6
// there). Here each route runs in a server process of its own, all pinned to one CPU, and a pair of them
// is loaded at the same time by two autocannon instances (in bench/load.mjs, pinned to the other CPU),
// the same number of connections each. The kernel's scheduler gives the two busy processes equal shares
// of that CPU, so the ratio of the requests they answer is the inverse ratio of their CPU per request, and
// a slow spell of the machine slows both at once. Every route is paired with the route without auth; a
// second, identical server of that route measures the noise floor, which is larger between processes (each
// has its own JIT and memory layout) than between the rounds of one pair. Reported, not judged: the judged
// ratios are those of npm run bench. If a lighter route leaves its share of the CPU unused now and then,
// the other gets it, so a measured ratio understates a difference rather than overstating it.
//
// Linux only (taskset, from util-linux), at least 2 CPUs. ROUNDS (default 12) rounds of SLICE seconds
// (default 2) per pair, CONNECTIONS per route (default 50), BENCH_KIT_DIR (default dist/cjs). Writes
// bench/paired.latest.json.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild } from './lib/ipc.mjs';
import { machine, requireTools } from './lib/machine.mjs';
import { median } from './lib/stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.ROUNDS ?? 12);
const SLICE = Number(process.env.SLICE ?? 2);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const kitDir = process.env.BENCH_KIT_DIR ?? join(here, '..', 'dist', 'cjs');
const ROUTES = {
  noauth: 'Express route, no auth (the reference)',
  noauthTwin: 'the same route, a second server (noise floor)',
  noop: 'behind app.use((req, res, next) => next())',
  fixedSession: 'behind a middleware attaching a fixed session',
  kit: 'requireSession(), cache on, warm',
};

requireTools(['taskset'], 'util-linux');
if (cpus().length < 2) {
  console.error('bench/paired.mjs needs 2 CPUs: one for the servers, one for the load.');
  process.exit(2);
}
const pinned = (cpu) => ({ execPath: 'taskset', execArgv: ['-c', String(cpu), process.execPath] });
const cookie = `ory_kratos_session=${randomBytes(200).toString('base64url')}`;
const stub = startChild(join(here, 'kratos-stub.mjs'), pinned(1));
const load = startChild(join(here, 'load.mjs'), pinned(1));
const servers = {};
try {
  const { kratosUrl } = await stub.ready;
  await load.ready;
  for (const route of Object.keys(ROUTES)) {
    servers[route] = startChild(join(here, 'instructions-server.mjs'), {
      ...pinned(0),
      env: { BENCH_KRATOS_URL: kratosUrl, BENCH_COOKIE: cookie, BENCH_KIT_DIR: kitDir, BENCH_ROUTE: route === 'noauthTwin' ? 'noauth' : route },
    });
  }
  const urls = {};
  for (const [route, server] of Object.entries(servers)) urls[route] = (await server.ready).url;
  const run = (route, duration) => load.call('run', { url: urls[route], connections: CONNECTIONS, duration, cookie, rotate: false });

  for (const route of Object.keys(ROUTES)) await run(route, 2);
  const others = Object.keys(ROUTES).filter((route) => route !== 'noauth');
  const ratios = Object.fromEntries(others.map((route) => [route, []]));
  for (let round = 0; round < ROUNDS; round++) {
    console.error(`[paired] round ${round + 1}/${ROUNDS}`);
    for (let i = 0; i < others.length; i++) {
      const route = others[(i + round) % others.length];
      const [reference, subject] = await Promise.all([run('noauth', SLICE), run(route, SLICE)]);
      if (reference.non2xx || subject.non2xx || reference.errors || subject.errors) throw new Error(`round ${round + 1}: non-2xx answers or errors (${route})`);
      ratios[route].push(subject.ok / reference.ok);
    }
  }

  const twin = median(ratios.noauthTwin);
  const results = {};
  console.log(`\nPaired, simultaneous: each route against the route without auth, both loaded at once on one CPU (${ROUNDS} rounds of ${SLICE} s, ${CONNECTIONS} connections each)\n`);
  console.log(`${'route'.padEnd(48)} ${'median'.padStart(7)} ${'min-max'.padStart(10)} ${'/ twin'.padStart(7)}`);
  for (const route of others) {
    const list = ratios[route];
    const m = median(list);
    results[route] = { label: ROUTES[route], median: round3(m), min: round3(Math.min(...list)), max: round3(Math.max(...list)), overTwin: round3(m / twin), rounds: list.map(round3) };
    console.log(`${ROUTES[route].padEnd(48)} ${m.toFixed(3).padStart(7)} ${`${Math.min(...list).toFixed(2)}-${Math.max(...list).toFixed(2)}`.padStart(10)} ${(m / twin).toFixed(3).padStart(7)}`);
  }
  const file = join(here, 'paired.latest.json');
  writeFileSync(file, `${JSON.stringify({ machine: machine(), rounds: ROUNDS, sliceSeconds: SLICE, connections: CONNECTIONS, kitDir: relative(join(here, '..'), kitDir), results }, null, 2)}\n`);
  console.log(`\nwritten: ${file}`);
} finally {
  await Promise.all(Object.values(servers).map((server) => server.stop()));
  await Promise.all([load.stop(), stub.stop()]);
}

function round3(x) {
  return Math.round(x * 1000) / 1000;
}
