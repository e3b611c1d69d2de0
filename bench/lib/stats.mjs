// Combining the slices of one scenario into its result.

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const mb = (bytes) => Math.round((bytes / 2 ** 20) * 10) / 10;
const r1 = (n) => Math.round(n * 10) / 10;

/**
 * Requests/s is 2xx answers over measured seconds of all slices; p50/p99 are the medians of the slices'
 * (autocannon reports them per run); whoami calls are counted by the Kratos side.
 */
export function aggregate(slices) {
  const sum = (key) => slices.reduce((total, s) => total + s[key], 0);
  const ok = sum('ok');
  const seconds = sum('duration');
  const whoami = sum('whoami');
  return {
    requestsPerSec: Math.round(ok / seconds),
    p50ms: median(slices.map((s) => s.p50)),
    p99ms: median(slices.map((s) => s.p99)),
    requests: ok,
    seconds: r1(seconds),
    non2xx: sum('non2xx'),
    errors: sum('errors') + sum('timeouts'),
    serverCpuMicrosPerRequest: ok ? Math.round(sum('cpuMicros') / sum('total')) : null,
    whoamiCalls: whoami,
    whoamiPerRequest: ok ? Math.round((whoami / ok) * 1000) / 1000 : null,
    rssMB: mb(Math.max(...slices.map((s) => s.rss))),
    heapUsedMB: mb(slices.at(-1).heapUsed),
    slicesRequestsPerSec: slices.map((s) => Math.round(s.ok / s.duration)),
  };
}
