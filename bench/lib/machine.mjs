// The machine a run happened on, for the results and docs/performance.md, and the tools a run needs on it.
import { execFileSync } from 'node:child_process';
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

/** Exits with a message naming the Debian package (status 2) unless every one of `tools` is on the PATH. */
export function requireTools(tools, debianPackage) {
  for (const tool of tools) {
    try {
      execFileSync('which', [tool], { stdio: 'ignore' });
    } catch {
      console.error(`${tool} not found: install ${debianPackage} (Debian: apt-get install ${debianPackage}).`);
      process.exit(2);
    }
  }
}
