// The readable summary of a soak run (bench/soak.mjs): one column per phase, then each check's verdict.

const statuses = (tally) =>
  Object.entries(tally)
    .map(([status, n]) => `${n} x ${status}`)
    .join(', ') || '-';
const signed = (pct) => `${pct >= 0 ? '+' : ''}${pct}%`;

const ROWS = [
  ['requests answered', (p) => `${p.answered} / ${p.requests}`],
  ['duration s', (p) => p.durationSeconds],
  ['req/s', (p) => p.requestsPerSec],
  ['latency p50 / p99 / max ms (after warm-up)', (p) => `${p.latencyMs.p50} / ${p.latencyMs.p99} / ${p.latencyMs.max}`],
  ['valid session cookie', (p) => statuses(p.valid.statuses)],
  ['  answered with another identity', (p) => p.valid.wrongIdentity],
  ['no cookie / bogus cookie', (p) => `${p.invalid.noCookie} / ${p.invalid.bogusCookie}: ${statuses(p.invalid.statuses)}`],
  ['socket errors / timeouts', (p) => `${p.errors} / ${p.timeouts}`],
  ['upstream received', (p) => p.upstream.received],
  ['  forwarded without a session', (p) => p.upstream.withoutSession],
  ['  forwarded with another identity', (p) => p.upstream.wrongIdentity],
  ['  carrying the session cookie', (p) => p.upstream.withCredential],
  ['whoami answers of Kratos', (p) => statuses(p.whoami)],
  ['RSS MB start / warm-up end / end', (p) => `${p.memory.start.rssMB} / ${p.memory.warmupEnd.rssMB} / ${p.memory.end.rssMB}`],
  ['RSS MB peak (sampled every 250 ms)', (p) => p.memory.peak.rssMB],
  ['RSS growth warm-up end -> end', (p) => `${signed(p.memory.rssGrowthPct)} (flat: < ${p.memory.targetPct}%)`],
  ['heapUsed MB warm-up end / end / peak', (p) => `${p.memory.warmupEnd.heapUsedMB} / ${p.memory.end.heapUsedMB} / ${p.memory.peak.heapUsedMB}`],
];

export function printSoak(results) {
  const { machine: m, settings: s, phases } = results;
  const out = [];
  out.push(`\nkratos-express soak through authGate() - ${m.nproc} CPUs (${m.cpu}), Node ${m.node}`);
  out.push(`${s.requests} requests per phase (the first ${s.warmup} are the warm-up), concurrency ${s.connections}, ${s.sessions} sessions of createKratosEmulator()`);
  out.push(`mix: ${s.mix}; memory after forced GCs at the end of the warm-up and at the end\n`);
  const header = ['', ...phases.map((p) => p.label)];
  const rows = [header, ...ROWS.map(([title, get]) => [title, ...phases.map((p) => String(get(p)))])];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   ');
  out.push(line(rows[0]), widths.map((w) => '-'.repeat(w)).join('   '), ...rows.slice(1).map(line));
  for (const p of phases) {
    out.push(`\n${p.label}:`);
    for (const c of p.checks) out.push(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
  }
  out.push(`\nOverall: ${results.pass ? 'PASS' : 'FAIL'} (${results.seconds} s). Results in bench/soak-results.json\n`);
  console.log(out.join('\n'));
}
