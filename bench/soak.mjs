// `npm run soak`: a bounded soak through authGate(). The gate (from the build, cache on; optionally a second
// phase with the cache off) runs in its own process in front of a recording hello-world upstream, with
// createKratosEmulator() holding the valid sessions; autocannon, in a third process, sends a fixed number
// of requests (90% valid session cookies, 10% no cookie or a bogus one). It passes when every valid request
// is answered 200 with its own identity, every other one 401, nothing reaches the upstream without a valid
// session nor with the session credential, no socket errors or timeouts, and the gate's RSS (after forced
// GCs) grows less than 10% from the end of the warm-up to the end. Prints a table, writes bench/soak-results.json, exits 1 on a failure.
// Settings: node bench/soak.mjs --help (lib/soak-settings.mjs).
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild } from './lib/ipc.mjs';
import { machine } from './lib/machine.mjs';
import { printSoak } from './lib/soak-report.mjs';
import { readSettings, SettingsError, USAGE } from './lib/soak-settings.mjs';

const GROWTH_TARGET_PCT = 10;
const STOP_GRACE_MS = 5_000;
const PHASES = { cache: { label: 'authGate(), cache on', cache: true }, nocache: { label: 'authGate(), cache off', cache: false } };

const here = dirname(fileURLToPath(import.meta.url));
const kitDir = process.env.BENCH_KIT_DIR ?? join(here, '..', 'dist', 'cjs');
const resultsFile = join(here, 'soak-results.json');
const log = (...args) => console.error('[soak]', ...args);

let settings;
try {
  settings = readSettings();
} catch (err) {
  if (!(err instanceof SettingsError)) throw err;
  console.error(`${err.message}\n\n${USAGE}`);
  process.exit(2);
}
if (settings.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!existsSync(join(kitDir, 'proxy', 'index.js')) || !existsSync(join(kitDir, 'emulator', 'index.js'))) {
  console.error(`The kit is not built at ${kitDir}: run npm run soak (which builds first) or npm run build.`);
  process.exit(1);
}

// Every child process, so that each one is ended on success, failure, deadline and signals.
const children = new Set();
function start(file, options) {
  const handle = startChild(join(here, 'lib', file), options);
  children.add(handle);
  handle.child.once('exit', () => children.delete(handle));
  // a child that dies before it is awaited fails the run where it is awaited, not as an unhandled rejection
  handle.ready.catch(() => {});
  return handle;
}
async function stop(handle) {
  const timer = setTimeout(() => handle.child.kill('SIGKILL'), STOP_GRACE_MS);
  await handle.stop();
  clearTimeout(timer);
}
const stopAll = () => Promise.all([...children].map(stop));
process.on('exit', () => {
  for (const handle of children) handle.child.kill('SIGKILL');
});

let aborting = false;
async function abort(reason, code) {
  if (aborting) return;
  aborting = true;
  log(reason);
  await stopAll();
  process.exit(code);
}
process.once('SIGINT', () => abort('interrupted (SIGINT): stopping every child process', 130));
process.once('SIGTERM', () => abort('terminated (SIGTERM): stopping every child process', 143));
const deadline = setTimeout(() => abort(`FAIL: not finished within the ${settings.deadline} s deadline (--deadline, SOAK_DEADLINE)`, 1), settings.deadline * 1000);

const mb = (bytes) => Math.round((bytes / 2 ** 20) * 10) / 10;
const memory = (m) => ({ rssMB: mb(m.rss), heapUsedMB: mb(m.heapUsed) });
const sum = (object) => Object.values(object).reduce((a, b) => a + b, 0);
const merge = (a, b) => {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
};

async function runPhase(name, { kratos, load, kratosUrl, upstreamUrl }) {
  const phase = PHASES[name];
  const gate = start('soak-gate.mjs', {
    execArgv: ['--expose-gc'],
    env: { BENCH_KIT_DIR: kitDir, SOAK_KRATOS_URL: kratosUrl, SOAK_UPSTREAM_URL: upstreamUrl, SOAK_CACHE: phase.cache ? '1' : '0' },
  });
  try {
    const { url } = await gate.ready;
    // if the gate dies under load, autocannon would retry its connections until the deadline: fail at once
    const died = new Promise((_, reject) => gate.child.once('exit', (code, signal) => reject(new Error(`the gate's process exited during the ${name} phase (code ${code}, signal ${signal})`))));
    died.catch(() => {});
    const loadRun = (amount) => Promise.race([load.call('run', { url, connections: settings.connections, amount }), died]);
    const before = await kratos.call('stats');
    const started = await gate.call('settle');
    log(`${name}: warm-up, ${settings.warmup} requests at concurrency ${settings.connections}`);
    const warm = await loadRun(settings.warmup);
    const warmedUp = await gate.call('settle');
    log(`${name}: ${settings.requests - settings.warmup} more requests`);
    const main = await loadRun(settings.requests - settings.warmup);
    const ended = await gate.call('settle');
    const { samples, sessions } = await gate.call('report');
    const after = await kratos.call('stats');
    return summarize(name, { warm, main, started, warmedUp, ended, samples, sessions, before, after });
  } finally {
    await stop(gate);
  }
}

function summarize(name, { warm, main, started, warmedUp, ended, samples, sessions, before, after }) {
  const valid = merge(warm.tally.valid, main.tally.valid);
  const invalid = merge(merge(warm.tally.none, main.tally.none), merge(warm.tally.bogus, main.tally.bogus));
  const answered = sum(valid) + sum(invalid);
  const duration = warm.duration + main.duration;
  const upstream = Object.fromEntries(Object.entries(after.upstream).map(([k, v]) => [k, v - before.upstream[k]]));
  const whoami = Object.fromEntries(Object.entries(after.whoami).map(([k, v]) => [k, v - (before.whoami[k] ?? 0)]));
  const peak = samples.reduce((p, s) => ({ rss: Math.max(p.rss, s[1]), heapUsed: Math.max(p.heapUsed, s[2]) }), { rss: 0, heapUsed: 0 });
  const growthPct = Math.round(((ended.rss - warmedUp.rss) / warmedUp.rss) * 1000) / 10;
  const heapGrowthPct = Math.round(((ended.heapUsed - warmedUp.heapUsed) / warmedUp.heapUsed) * 1000) / 10;
  const errors = warm.errors + main.errors;
  const timeouts = warm.timeouts + main.timeouts;
  const wrongIdentity = warm.wrongIdentity + main.wrongIdentity;
  const validOk = valid[200] ?? 0;
  const invalidDenied = invalid[401] ?? 0;
  const invalid2xx = Object.entries(invalid).filter(([status]) => status >= 200 && status < 300).reduce((n, [, c]) => n + c, 0);
  const checks = [
    { name: 'every request answered, no socket errors or timeouts', pass: answered === settings.requests && errors === 0 && timeouts === 0, detail: `${answered} of ${settings.requests} answered, ${errors} errors, ${timeouts} timeouts` },
    { name: 'valid sessions: all 200, each with its own identity', pass: validOk === sum(valid) && wrongIdentity === 0, detail: `${validOk} of ${sum(valid)} answered 200, ${sum(valid) - validOk} other, ${wrongIdentity} naming another identity` },
    { name: 'no or bogus session: all 401', pass: invalidDenied === sum(invalid), detail: `${invalidDenied} of ${sum(invalid)} answered 401, ${invalid2xx} answered 2xx` },
    {
      name: 'nothing forwarded without a valid session',
      pass: upstream.withoutSession === 0 && upstream.wrongIdentity === 0 && upstream.received === validOk,
      detail: `upstream received ${upstream.received}: ${upstream.withSession} with their session's identity, ${upstream.withoutSession} without a session, ${upstream.wrongIdentity} with another identity`,
    },
    { name: 'the session credential never reaches the upstream', pass: upstream.withCredential === 0, detail: `${upstream.withCredential} upstream requests carried the session cookie` },
    { name: `RSS flat: growth from warm-up end to end < ${GROWTH_TARGET_PCT}%`, pass: growthPct < GROWTH_TARGET_PCT, detail: `${mb(warmedUp.rss)} -> ${mb(ended.rss)} MB (${growthPct >= 0 ? '+' : ''}${growthPct}%)` },
  ];
  return {
    name,
    label: PHASES[name].label,
    requests: settings.requests,
    answered,
    durationSeconds: Math.round(duration * 10) / 10,
    requestsPerSec: Math.round(answered / duration),
    latencyMs: { p50: main.p50, p99: main.p99, max: main.max },
    valid: { answered: sum(valid), statuses: valid, wrongIdentity },
    invalid: { answered: sum(invalid), statuses: invalid, answered2xx: invalid2xx, noCookie: sum(warm.tally.none) + sum(main.tally.none), bogusCookie: sum(warm.tally.bogus) + sum(main.tally.bogus) },
    errors,
    timeouts,
    upstream,
    whoami,
    gateSessionCore: sessions,
    memory: {
      start: memory(started),
      warmupEnd: { ...memory(warmedUp), afterRequests: settings.warmup },
      end: memory(ended),
      peak: memory(peak),
      rssGrowthPct: growthPct,
      heapUsedGrowthPct: heapGrowthPct,
      targetPct: GROWTH_TARGET_PCT,
      samples: samples.map(([t, rss, heapUsed]) => [t, mb(rss), mb(heapUsed)]),
    },
    checks,
    pass: checks.every((c) => c.pass),
  };
}

async function main() {
  const began = Date.now();
  const results = { machine: machine(), settings: { ...settings, mix: '90% valid session cookies (round robin), 5% no cookie, 5% bogus cookie with forged identity headers', growthTargetPct: GROWTH_TARGET_PCT }, phases: [], pass: false };
  const load = start('soak-load.mjs');
  log(`starting createKratosEmulator() with ${settings.sessions} identities and sessions`);
  const kratos = start('soak-kratos.mjs', { env: { BENCH_KIT_DIR: kitDir, SOAK_SESSIONS: String(settings.sessions) } });
  try {
    await load.ready;
    const { kratosUrl, upstreamUrl, cookieName, sessions } = await kratos.ready;
    await load.call('sessions', { sessions, cookieName });
    for (const name of settings.phases) results.phases.push(await runPhase(name, { kratos, load, kratosUrl, upstreamUrl }));
  } finally {
    await stopAll();
  }
  results.pass = results.phases.length === settings.phases.length && results.phases.every((p) => p.pass);
  results.seconds = Math.round((Date.now() - began) / 100) / 10;
  writeFileSync(resultsFile, JSON.stringify(results, null, 2) + '\n');
  printSoak(results);
  return results.pass;
}

main().then(
  (pass) => {
    clearTimeout(deadline);
    process.exitCode = pass ? 0 : 1;
  },
  async (err) => {
    clearTimeout(deadline);
    console.error('[soak] FAIL:', err?.stack ?? err);
    await stopAll();
    process.exitCode = 1;
  },
);
