// Instructions per cache hit in-process, counted by valgrind's callgrind: `node bench/hit-instructions.mjs`
// runs Express apps that differ only by their middleware (none, a no-op layer, a layer attaching a fixed
// session, requireSession() with a warm cache), each fed fresh IncomingMessage/ServerResponse pairs with
// one session cookie, as bench/layers.mjs does, but counts instead of timing. Each variant runs in two
// processes under callgrind, one making WARMUP calls and one WARMUP + CALLS; the difference divided by
// CALLS is what one call costs once the code is warm, garbage collection and compilation included. No
// socket and no HTTP parser, so these are the middlewares' own costs, without the request around them
// (bench/instructions.mjs counts whole HTTP requests). The route reads `req.session?.identity?.id`, as the
// benchmark's route does, so what reading the attached session costs is counted too. Most runs of a variant agree within about 5,000
// instructions per call, but now and then one counts 20,000-50,000 more per call (two of four runs of the
// kit's variant): each count is run REPEAT times and the smallest taken, since an outlier only ever adds.
//
// Needs valgrind (Debian: apt-get install valgrind). About 30 minutes on 2 CPUs.
// BENCH_KIT_DIR: the build (default dist/cjs); BENCH_BASE_DIR: a second build counted as `base`, to compare
// two versions of the kit side by side; WARMUP (default 10000) and CALLS (default 40000) per variant;
// REPEAT (default 2). Writes bench/hit-instructions.latest.json.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild } from './lib/ipc.mjs';
import { requireTools } from './lib/machine.mjs';
import { activeSession, attachFixed, inProcessCaller } from './lib/routes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const kitDir = process.env.BENCH_KIT_DIR ?? join(here, '..', 'dist', 'cjs');
const baseDir = process.env.BENCH_BASE_DIR;
const VARIANTS = {
  none: 'Express route, no middleware',
  noop: '+ app.use((req, res, next) => next())',
  fixed: '+ a middleware setting req.session to a fixed session',
  kit: '+ requireSession(), cache hit',
  ...(baseDir ? { base: '+ requireSession(), cache hit: BENCH_BASE_DIR' } : {}),
};

/** Child: makes `calls` cache-hit calls through the app of `variant`, then exits. */
async function child(variant, calls) {
  if (!VARIANTS[variant] || !(calls >= 0)) throw new Error(`--child <${Object.keys(VARIANTS).join('|')}> <calls>: got ${variant} ${calls}`);
  const require = createRequire(import.meta.url);
  const kit = require(join(kitDir, 'index.js'));
  const express = require('express');
  const stub = startChild(join(here, 'kratos-stub.mjs'));
  try {
    const { kratosUrl } = await stub.ready;
    const options = { publicUrl: kratosUrl, cache: { ttl: '5m', max: 10_000 } };
    const cookie = `ory_kratos_session=${randomBytes(200).toString('base64url')}`;
    const session = await activeSession(kit.contextFor(options), cookie);
    const app = express();
    if (variant === 'noop') app.use((req, res, next) => next());
    if (variant === 'fixed') app.use(attachFixed(session));
    if (variant === 'kit') app.use(kit.requireSession(options));
    let served = 0;
    let withSession = 0;
    app.get('/hello', (req) => {
      served++;
      if (req.session?.identity?.id === session.identity.id) withSession++;
    });
    const call = inProcessCaller(app, cookie);
    for (let i = 0; i < calls; i++) call();
    if (served !== calls) throw new Error(`${variant}: ${served} of ${calls} calls reached the route`);
    const expected = variant === 'fixed' || variant === 'kit' ? calls : 0;
    if (withSession !== expected) throw new Error(`${variant}: the route saw the session in ${withSession} of ${calls} calls, not ${expected}`);
    await kit.closeSharedContexts();
  } finally {
    await stub.stop();
  }
}

/** Total instructions callgrind counted for one child process. */
function count(variant, calls) {
  // `base` is the kit's variant run on the second build
  const args = ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, fileURLToPath(import.meta.url), '--child', variant === 'base' ? 'kit' : variant, String(calls)];
  return new Promise((resolve, reject) => {
    execFile('valgrind', args, { env: { ...process.env, BENCH_KIT_DIR: variant === 'base' ? baseDir : kitDir }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const collected = /Collected\s*:\s*(\d+)/.exec(stderr);
      if (err || !collected) reject(new Error(`callgrind of ${variant} (${calls} calls) failed: ${err?.message ?? ''}\n${stderr.slice(-2000)}`));
      else resolve(Number(collected[1]));
    });
  });
}

async function main() {
  requireTools(['valgrind'], 'valgrind');
  const warmup = Number(process.env.WARMUP ?? 10_000);
  const calls = Number(process.env.CALLS ?? 40_000);
  const repeat = Number(process.env.REPEAT ?? 2);
  const jobs = Object.keys(VARIANTS).flatMap((variant) =>
    Array.from({ length: repeat }, () => [
      { variant, calls: warmup },
      { variant, calls: warmup + calls },
    ]).flat(),
  );
  const totals = {};
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const total = await count(job.variant, job.calls);
      ((totals[job.variant] ??= {})[job.calls] ??= []).push(total);
      console.error(`[hit-instructions] ${job.variant}, ${job.calls} calls: ${total} instructions`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), jobs.length) }, worker));

  const least = (variant, n) => Math.min(...totals[variant][n]);
  const perCall = Object.fromEntries(Object.keys(VARIANTS).map((v) => [v, Math.round((least(v, warmup + calls) - least(v, warmup)) / calls)]));
  console.log(`\nInstructions per call once warm (calls ${warmup + 1}-${warmup + calls}, one session cookie, cache hits; least of ${repeat} runs):`);
  let previous;
  for (const [variant, label] of Object.entries(VARIANTS)) {
    const step = previous === undefined ? '' : `${perCall[variant] - perCall[previous] >= 0 ? '+' : ''}${perCall[variant] - perCall[previous]} over the line above`;
    console.log(`  ${label.padEnd(56)} ${String(perCall[variant]).padStart(8)}  ${step}`);
    previous = variant;
  }
  const file = join(here, 'hit-instructions.latest.json');
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, warmup, calls, repeat, totals, perCall }, null, 2) + '\n');
  console.log(`\nWritten to ${file}`);
}

if (process.argv[2] === '--child') await child(process.argv[3], Number(process.argv[4]));
else await main();
