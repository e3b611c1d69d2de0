// Settings of the soak (bench/soak.mjs): command-line flags first, then SOAK_* variables, then defaults.

const FLAGS = {
  requests: { env: 'SOAK_REQUESTS', fallback: 30_000, what: 'requests per phase, warm-up included' },
  connections: { env: 'SOAK_CONNECTIONS', fallback: 50, what: 'concurrent keep-alive connections' },
  sessions: { env: 'SOAK_SESSIONS', fallback: 200, what: 'valid sessions, used round robin' },
  warmup: { env: 'SOAK_WARMUP', fallback: undefined, what: 'warm-up requests (default: 10% of --requests)' },
  deadline: { env: 'SOAK_DEADLINE', fallback: 110, what: 'seconds after which the run is stopped and fails' },
};
const PHASES = ['cache', 'nocache'];

export const USAGE = [
  'node bench/soak.mjs [--requests N] [--connections N] [--sessions N] [--warmup N] [--phases cache,nocache] [--deadline S]',
  ...Object.entries(FLAGS).map(([name, f]) => `  --${name.padEnd(11)} ${f.env.padEnd(16)} ${f.what}${f.fallback === undefined ? '' : ` (default ${f.fallback})`}`),
  `  --phases      SOAK_PHASES      gate configurations, in order: cache (cache on), nocache (cache off) (default cache,nocache)`,
].join('\n');

export class SettingsError extends Error {}

function parseArgs(argv) {
  const given = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m || (!(m[1] in FLAGS) && m[1] !== 'phases')) throw new SettingsError(`${argv[i]}: unknown argument.`);
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new SettingsError(`--${m[1]}: needs a value.`);
    given[m[1]] = value;
  }
  return given;
}

export function readSettings(argv = process.argv.slice(2), env = process.env) {
  if (argv.includes('--help') || argv.includes('-h')) return { help: true };
  const given = parseArgs(argv);
  const settings = {};
  for (const [name, flag] of Object.entries(FLAGS)) {
    const raw = given[name] ?? env[flag.env];
    if (raw === undefined || raw === '') {
      settings[name] = flag.fallback;
      continue;
    }
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) throw new SettingsError(`--${name} (${flag.env}): ${JSON.stringify(raw)} is not a positive whole number.`);
    settings[name] = value;
  }
  settings.warmup ??= Math.round(settings.requests / 10);
  const phases = String(given.phases ?? env.SOAK_PHASES ?? 'cache,nocache').split(',').map((p) => p.trim()).filter(Boolean);
  for (const p of phases) if (!PHASES.includes(p)) throw new SettingsError(`--phases (SOAK_PHASES): ${JSON.stringify(p)} is not a phase. Use cache, nocache or cache,nocache.`);
  if (phases.length === 0) throw new SettingsError('--phases (SOAK_PHASES): is empty. Use cache, nocache or cache,nocache.');
  settings.phases = [...new Set(phases)];
  if (settings.warmup < settings.connections || settings.requests - settings.warmup < settings.connections) {
    throw new SettingsError(`--warmup (${settings.warmup}) and --requests minus --warmup (${settings.requests - settings.warmup}) must each be at least --connections (${settings.connections}).`);
  }
  return settings;
}
