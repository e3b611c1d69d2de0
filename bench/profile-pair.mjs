// Where a warm-cache hit's cost goes over HTTP: `node --expose-gc bench/profile-pair.mjs` serves four
// Express routes in this process — no auth; the same route behind a middleware attaching a fixed session
// object (the same answer as the kit's route, no session check); behind a middleware spending 15 us of CPU
// (what a known cost looks like here); and requireSession() with a warm cache — and loads them in
// alternation with autocannon (its own process, one session cookie), profiling each slice with the
// inspector. It prints each route's server CPU per request (and the system part of it), then the functions
// whose self time per request differs most between the kit's route and the route without auth.
// ROUNDS (default 8) alternating rounds of SLICE seconds (default 2) per route.
import { randomBytes } from 'node:crypto';
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild } from './lib/ipc.mjs';
import { activeSession, attachFixed, helloApp, serveApps } from './lib/routes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const kit = createRequire(import.meta.url)(join(process.env.BENCH_KIT_DIR ?? join(here, '..', 'dist', 'cjs'), 'index.js'));
const ROUNDS = Number(process.env.ROUNDS ?? 8);
const SLICE = Number(process.env.SLICE ?? 2);
const TOP = 30;
const shortUrl = (url) => url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '~/').replace(/^.*\/(dist|bench)\//, '$1/');

const load = startChild(join(here, 'load.mjs'));
const stub = startChild(join(here, 'kratos-stub.mjs'));
const inspector = new Session();
inspector.connect();
let serving;
try {
  await load.ready;
  const { kratosUrl } = await stub.ready;
  const cookie = `ory_kratos_session=${randomBytes(200).toString('base64url')}`;
  const options = { publicUrl: kratosUrl, cache: { ttl: '5m', max: 10_000 } };
  const warm = await activeSession(kit.contextFor(options), cookie);
  const fixed = { identity: { id: warm.identity.id } };
  const routes = {
    'no auth': null,
    'fixed session attached': attachFixed(fixed),
    '15 us of CPU': (req, res, next) => {
      const until = performance.now() + 0.015;
      while (performance.now() < until);
      next();
    },
    'requireSession(), cache hit': kit.requireSession(options),
  };
  serving = await serveApps(Object.fromEntries(Object.entries(routes).map(([name, middleware]) => [name, helloApp(middleware)])));
  const { urls } = serving;
  const names = Object.keys(urls);
  const job = (name, duration) => load.call('run', { url: urls[name], connections: 50, duration, cookie, rotate: false });
  for (const name of names) await job(name, 1);

  await inspector.post('Profiler.enable');
  await inspector.post('Profiler.setSamplingInterval', { interval: 100 });
  const self = Object.fromEntries(names.map((name) => [name, new Map()]));
  const served = Object.fromEntries(names.map((name) => [name, 0]));
  const cpu = Object.fromEntries(names.map((name) => [name, 0]));
  const system = Object.fromEntries(names.map((name) => [name, 0]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 ? [...names].reverse() : names) {
      globalThis.gc?.();
      await inspector.post('Profiler.start');
      const before = process.cpuUsage();
      const result = await job(name, SLICE);
      const used = process.cpuUsage(before);
      const { profile } = await inspector.post('Profiler.stop');
      if (result.non2xx || result.errors) throw new Error(`${name}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
      served[name] += result.total;
      cpu[name] += used.user + used.system;
      system[name] += used.system;
      const hits = new Map();
      for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
      const perSample = (profile.endTime - profile.startTime) / profile.samples.length;
      for (const node of profile.nodes) {
        const { functionName, url, lineNumber } = node.callFrame;
        const key = `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`;
        self[name].set(key, (self[name].get(key) ?? 0) + (hits.get(node.id) ?? 0) * perSample);
      }
    }
  }
  console.log(`${ROUNDS} alternating rounds of ${SLICE} s per route, 50 connections, one session cookie\n`);
  const perRequest = (name, total) => (total[name] / served[name]).toFixed(1).padStart(6);
  for (const name of names) console.log(`${name.padEnd(30)} server CPU ${perRequest(name, cpu)} us per request, system ${perRequest(name, system)}`);
  const base = names[0];
  const subject = names[names.length - 1];
  const us = (name, key) => (self[name].get(key) ?? 0) / served[name];
  const rows = [...new Set([...self[base].keys(), ...self[subject].keys()])]
    .map((key) => ({ key, base: us(base, key), subject: us(subject, key) }))
    .sort((a, b) => Math.abs(b.subject - b.base) - Math.abs(a.subject - a.base));
  console.log(`\nself time, us per request: difference, "${base}", "${subject}", function (top ${TOP})`);
  for (const { key, base: a, subject: b } of rows.slice(0, TOP)) console.log(`${(b - a).toFixed(2).padStart(7)} ${a.toFixed(2).padStart(7)} ${b.toFixed(2).padStart(7)}  ${key}`);
} finally {
  serving?.close();
  inspector.disconnect();
  await Promise.all([load.stop(), stub.stop(), kit.closeSharedContexts()]);
}
