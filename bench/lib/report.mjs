// The readable summary printed at the end of a run.

const pad = (value, width, right = false) => {
  const text = String(value ?? '-');
  return right ? text.padStart(width) : text.padEnd(width);
};

function table(rows, columns) {
  const widths = columns.map((c) => Math.max(c.title.length, ...rows.map((r) => String(c.get(r) ?? '-').length)));
  const line = (cells) => cells.map((cell, i) => pad(cell, widths[i], columns[i].right)).join('  ');
  return [line(columns.map((c) => c.title)), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => c.get(r))))].join('\n');
}

const verdict = (pass) => (pass === true ? 'PASS' : pass === false ? 'FAIL' : 'n/a');

export function printResults(results) {
  const out = [];
  const m = results.machine;
  out.push(`\nkratos-express benchmark - ${m.nproc} CPUs (${m.cpu}), Node ${m.node}`);
  const s = results.settings;
  out.push(`${s.quick ? 'QUICK run, ' : ''}${s.warmup} s warm-up + ${s.duration} s measured per scenario in ${s.rounds} interleaved round(s), ${s.connections} connections`);
  for (const [variant, data] of Object.entries(results.variants)) {
    out.push(`\n== Kratos side: ${variant === 'stub' ? 'minimal keep-alive whoami server (ratios judged here)' : 'createKratosEmulator() (reported)'}`);
    if (data.error) {
      out.push(`   failed: ${data.error}`);
      continue;
    }
    const rows = Object.entries(data.scenarios).map(([name, r]) => ({ name, ...r }));
    out.push(
      table(rows, [
        { title: 'scenario', get: (r) => r.label },
        { title: 'req/s', get: (r) => r.requestsPerSec, right: true },
        { title: 'p50 ms', get: (r) => r.p50ms, right: true },
        { title: 'p99 ms', get: (r) => r.p99ms, right: true },
        { title: 'server CPU us/req', get: (r) => r.serverCpuMicrosPerRequest, right: true },
        { title: 'whoami/req', get: (r) => r.whoamiPerRequest, right: true },
        { title: 'non-2xx', get: (r) => (r.skipped ? 'skipped' : r.non2xx + r.errors), right: true },
        { title: 'RSS MB', get: (r) => r.rssMB, right: true },
      ]),
    );
    out.push('');
    out.push(
      table(data.ratios, [
        { title: 'ratio', get: (r) => r.name },
        { title: 'median of rounds', get: (r) => (r.pairedMedian == null ? '-' : r.pairedMedian.toFixed(2)), right: true },
        { title: 'target', get: (r) => (r.target === undefined ? '-' : `>= ${r.target}`), right: true },
        { title: 'result', get: (r) => (r.target === undefined && !r.note ? '' : verdict(r.pass)) + (r.note ? ` (${r.note})` : '') },
        { title: 'rounds min-max', get: (r) => (r.byRound ? `${Math.min(...r.byRound).toFixed(2)}-${Math.max(...r.byRound).toFixed(2)}` : '-'), right: true },
        { title: 'all requests', get: (r) => (r.ratio === null ? '-' : r.ratio.toFixed(2)), right: true },
        { title: 'same ratio in server CPU per request', get: (r) => (r.cpuRatio == null ? '-' : r.cpuRatio.toFixed(2)), right: true },
      ]),
    );
    out.push('');
    out.push(
      table(data.concurrency, [
        { title: `${results.settings.concurrency} concurrent requests, one cookie`, get: (r) => r.name },
        { title: 'whoami calls per burst', get: (r) => r.whoamiPerBurst.join(' '), right: true },
        { title: 'target', get: (r) => (r.max === undefined ? '-' : `<= ${r.max}`), right: true },
        { title: 'result', get: (r) => (r.max === undefined ? '' : verdict(r.pass)) },
        { title: 'while 200 connections open (autocannon)', get: (r) => r.whoamiWhileConnecting.join(' '), right: true },
      ]),
    );
  }
  const mem = results.memory;
  if (mem) {
    out.push(`\n== Memory: cache of ${mem.max} sessions, then ${mem.inserted} more (RSS after GC)`);
    out.push(
      `   empty ${mem.empty.rssMB} MB -> at max ${mem.atMax.rssMB} MB -> after ${mem.inserted} more ${mem.after.rssMB} MB: ` +
        `RSS ${mem.rssGrowthPct >= 0 ? '+' : ''}${mem.rssGrowthPct}% (target < ${mem.targetPct}%) ${verdict(mem.pass)}; heap ${mem.atMax.heapUsedMB} -> ${mem.after.heapUsedMB} MB`,
    );
  }
  out.push(`\nOverall: ${results.pass ? 'PASS' : 'FAIL'} (${results.seconds} s). Results in bench/results.json\n`);
  console.log(out.join('\n'));
}
