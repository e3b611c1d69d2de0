// The machine a run happened on, for the results and docs/performance.md.
import { readFileSync } from 'node:fs';
import { cpus, totalmem, release, platform } from 'node:os';

export function machine() {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // not Linux: keep os.cpus()
  }
  return {
    nproc: cpus().length,
    node: process.version,
    cpu,
    memoryGB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
    date: new Date().toISOString(),
  };
}
