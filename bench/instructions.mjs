// Instructions per request, counted by valgrind's callgrind instead of timed: `node bench/instructions.mjs`
// serves the /hello route with no auth, behind a middleware attaching a fixed session, and behind
// requireSession() with a warm cache, each in its own server process under callgrind
// (bench/instructions-server.mjs), sends each route the same requests over loopback keep-alive
// connections, and counts what its server process executed for them alone (instrumentation switched on
// around each batch): its JavaScript, V8, the garbage collector's threads, Node's HTTP code. One process
// per route, because a collection of the old generation is paid by whatever runs while it runs: with the
// routes in one process, one route's garbage was billed to the others. Timing on this shared 2-CPU machine moves by 20-70 us per request between
// runs; these counts move by a few percent, so a change of a few thousand instructions per request shows.
// Counts are not time (a cache miss or a syscall weighs more than an add), so this explains the timed
// benchmark (npm run bench) rather than replacing it.
//
// Needs valgrind (Debian: apt-get install valgrind). Takes about 4 minutes.
// BENCH_KIT_DIR: the build (default dist/cjs); BENCH_BASE_DIR: a second build served as `base`, to compare
// two versions of the kit side by side; ROUNDS (default 3), REQUESTS per route and round (default 2000),
// WARMUP requests per route (default 5000); TOP functions listed per comparison (default 15).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { startChild } from './lib/ipc.mjs';
import { requireTools } from './lib/machine.mjs';
import { median } from './lib/stats.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const REQUESTS = Number(process.env.REQUESTS ?? 2000);
const WARMUP = Number(process.env.WARMUP ?? 5000);
const TOP = Number(process.env.TOP ?? 15);
const CONNECTIONS = 8;
/** What the functions callgrind names are, roughly, for the per-kind sums (first match wins). */
const KINDS = [
  ['garbage collector', /Scaveng|Marking|Sweep|Heap::|heap::|MemoryChunk|IterateMaybeWeakPointers|IteratePointers|Evacuat|Compactor|SlotSet|RememberedSet|WriteBarrier|PagedSpace|FreeList|LocalHeap|Sweeper/],
  ['JIT compiler', /compiler::|maglev::|Zone|Deoptimiz|OptimizingCompile|Turbofan|RegisterAllocator/],
  ['property lookups and hidden classes (V8 runtime)', /LookupIterator|Map::|MapUpdater|MigrateToMap|DescriptorArray|FieldIndex|Transition|StubCache|IC::|Runtime_.*IC|FeedbackNexus|PrototypeIterator|JSObject::|Object::|PropertyCell|LoadHandler|StoreHandler/],
  ['inline-cache builtins', /^Builtins_.*IC/],
  ['other builtins', /^Builtins_/],
  ['generated JavaScript code', /^0x/],
  ['hashing (OpenSSL)', /sha\d*_|sha256|sha1|md5|EVP_|OPENSSL|crypto/i],
  ['C library (malloc, memcpy)', /malloc|memcpy|memmove|memset|free|pthread|libc/],
];
const kitDir = process.env.BENCH_KIT_DIR ?? join(here, '..', 'dist', 'cjs');

requireTools(['valgrind', 'callgrind_control', 'callgrind_annotate'], 'valgrind');

const out = mkdtempSync(join(tmpdir(), 'kratos-express-callgrind-'));
const cookie = `ory_kratos_session=${randomBytes(200).toString('base64url')}`;
const stub = startChild(join(here, 'kratos-stub.mjs'));
const servers = {};
const agent = new Agent({ connections: CONNECTIONS });
try {
  const { kratosUrl } = await stub.ready;
  const routes = { noauth: kitDir, fixedSession: kitDir, kit: kitDir };
  if (process.env.BENCH_BASE_DIR) routes.base = process.env.BENCH_BASE_DIR;
  for (const [route, dir] of Object.entries(routes)) {
    servers[route] = startChild(join(here, 'instructions-server.mjs'), {
      execPath: 'valgrind',
      // V8 rewrites its own generated code: --smc-check makes callgrind notice
      execArgv: ['-q', '--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', `--callgrind-out-file=${join(out, `${route}.%p`)}`, process.execPath],
      env: { BENCH_KRATOS_URL: kratosUrl, BENCH_COOKIE: cookie, BENCH_KIT_DIR: dir, BENCH_ROUTE: route === 'base' ? 'kit' : route },
      readyTimeoutMs: 300_000,
    });
  }
  const urls = {};
  for (const [route, server] of Object.entries(servers)) urls[route] = (await server.ready).url;
  const callgrind = (route, ...args) => execFileSync('callgrind_control', [...args, String(servers[route].child.pid)], { stdio: 'pipe' });

  /** `count` GETs of the route, CONNECTIONS at a time; every answer must be a 200. */
  async function send(url, count) {
    let left = count;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (left-- > 0) {
          const answer = await request(url, { dispatcher: agent, headers: { accept: 'application/json', cookie } });
          await answer.body.text();
          if (answer.statusCode !== 200) throw new Error(`${url} answered ${answer.statusCode}`);
        }
      }),
    );
  }

  const names = Object.keys(urls);
  for (const name of names) await send(urls[name], WARMUP);
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length];
      await send(urls[name], 100);
      callgrind(name, '--instr=on');
      callgrind(name, '--zero');
      await send(urls[name], REQUESTS);
      callgrind(name, `--dump=${name}`);
      callgrind(name, '--instr=off');
    }
  }

  // one file per dump: <route>.<pid>.<n>, numbered in order (<route>.<pid> alone is the start)
  const files = Object.fromEntries(
    names.map((name) => [
      name,
      readdirSync(out)
        .map((file) => ({ file, n: Number(new RegExp(`^${name}\\.\\d+\\.(\\d+)$`).exec(file)?.[1] ?? -1) }))
        .filter(({ n }) => n > 0)
        .sort((a, b) => a.n - b.n)
        .map(({ file }) => join(out, file)),
    ]),
  );
  for (const name of names) if (files[name].length !== ROUNDS) throw new Error(`expected ${ROUNDS} callgrind dumps of ${name}, found ${files[name].length} in ${out}`);

  /** Instructions per request by function (self cost), for one dump. */
  function functionsOf(file) {
    const text = execFileSync('callgrind_annotate', ['--threshold=100', '--inclusive=no', file], { maxBuffer: 64 * 2 ** 20 }).toString();
    const costs = new Map();
    for (const line of text.split('\n')) {
      const match = /^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$/.exec(line);
      if (!match || match[2].includes('PROGRAM TOTALS')) continue;
      const name = match[2].replace(/^\?\?\?:/, '').replace(/\s*\[[^\]]*\]$/, '').replace(/\(.*$/, '').slice(0, 80);
      costs.set(name, (costs.get(name) ?? 0) + Number(match[1].replaceAll(',', '')) / REQUESTS);
    }
    return costs;
  }
  const kindOf = (fn) => KINDS.find(([, pattern]) => pattern.test(fn))?.[0] ?? 'other';
  /** What varies with when the collector and the compiler happen to run, not with the route's own work. */
  const VARIABLE = new Set(['garbage collector', 'JIT compiler']);

  const perRound = Object.fromEntries(names.map((name) => [name, { total: [], gc: [], jit: [], work: [] }]));
  const functions = Object.fromEntries(names.map((name) => [name, new Map()]));
  for (const name of names) {
    for (const file of files[name]) {
      const round = { total: 0, gc: 0, jit: 0, work: 0 };
      for (const [fn, cost] of functionsOf(file)) {
        functions[name].set(fn, (functions[name].get(fn) ?? 0) + cost / ROUNDS);
        const kind = kindOf(fn);
        round.total += cost;
        if (kind === 'garbage collector') round.gc += cost;
        else if (kind === 'JIT compiler') round.jit += cost;
        if (!VARIABLE.has(kind)) round.work += cost;
      }
      for (const key of Object.keys(round)) perRound[name][key].push(round[key]);
    }
  }

  const baseline = 'noauth';
  console.log(`\nInstructions per request in each route's server process (callgrind; ${ROUNDS} rounds of ${REQUESTS} requests per route, ${CONNECTIONS} connections, one session cookie)`);
  console.log(`"work": all but the garbage collector and the JIT compiler, which run when they happen to and move a round by up to 50%.\n`);
  console.log(`${'route'.padEnd(44)} ${'total'.padStart(8)} ${'GC'.padStart(7)} ${'JIT'.padStart(7)} ${'work'.padStart(8)} ${'work min-max'.padStart(15)} ${'ratio: total'.padStart(12)} ${'work'.padStart(6)}`);
  const labels = { noauth: 'Express route, no auth', fixedSession: 'a fixed session attached (req.session =)', kit: 'requireSession(), cache warm', base: 'requireSession(), cache warm: BENCH_BASE_DIR' };
  const results = {};
  const m = (name, key) => median(perRound[name][key]);
  for (const name of names) {
    const { work } = perRound[name];
    const ratio = (key) => Math.round((m(baseline, key) / m(name, key)) * 1000) / 1000;
    results[name] = {
      label: labels[name],
      medians: { total: Math.round(m(name, 'total')), garbageCollector: Math.round(m(name, 'gc')), jitCompiler: Math.round(m(name, 'jit')), work: Math.round(m(name, 'work')) },
      workRounds: work.map(Math.round),
      ratioToNoAuth: { total: ratio('total'), work: ratio('work') },
    };
    const cells = [m(name, 'total'), m(name, 'gc'), m(name, 'jit'), m(name, 'work')].map((v, i) => Math.round(v).toString().padStart([8, 7, 7, 8][i]));
    console.log(`${labels[name].padEnd(44)} ${cells.join(' ')} ${`${Math.round(Math.min(...work))}-${Math.round(Math.max(...work))}`.padStart(15)} ${ratio('total').toFixed(3).padStart(12)} ${ratio('work').toFixed(3).padStart(6)}`);
  }

  const compare = (a, b) => {
    const keys = new Set([...functions[a].keys(), ...functions[b].keys()]);
    const diffs = [...keys].map((fn) => ({ fn, diff: (functions[a].get(fn) ?? 0) - (functions[b].get(fn) ?? 0) })).sort((x, y) => y.diff - x.diff);
    const byKind = {};
    for (const { fn, diff } of diffs) byKind[kindOf(fn)] = Math.round((byKind[kindOf(fn)] ?? 0) + diff);
    const total = Math.round(diffs.reduce((sum, { diff }) => sum + diff, 0));
    console.log(`\n${labels[a]} minus ${labels[b]}: ${total} instructions per request (mean of rounds), by kind:`);
    for (const [kind] of [...KINDS, ['other']]) console.log(`${String(byKind[kind] ?? 0).padStart(9)}  ${kind}`);
    console.log(`largest ${TOP} functions each way (self cost):`);
    for (const { fn, diff } of [...diffs.slice(0, TOP), ...diffs.slice(-TOP).filter((d) => d.diff < 0)]) console.log(`${diff.toFixed(0).padStart(9)}  ${fn}`);
    return { total, byKind, largest: diffs.slice(0, TOP).map(({ fn, diff }) => ({ function: fn, instructions: Math.round(diff) })) };
  };
  const comparisons = { kitMinusFixedSession: compare('kit', 'fixedSession'), fixedSessionMinusNoAuth: compare('fixedSession', baseline) };
  if (urls.base) comparisons.kitMinusBase = compare('kit', 'base');

  const file = join(here, 'instructions.latest.json');
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, rounds: ROUNDS, requests: REQUESTS, connections: CONNECTIONS, kitDir: relative(join(here, '..'), kitDir), baseDir: process.env.BENCH_BASE_DIR && relative(join(here, '..'), process.env.BENCH_BASE_DIR), results, comparisons }, null, 2)}\n`);
  console.log(`\nwritten: ${file}`);
} finally {
  await agent.close();
  await Promise.all(Object.values(servers).map((server) => server.stop()));
  await stub.stop();
  rmSync(out, { recursive: true, force: true });
}
