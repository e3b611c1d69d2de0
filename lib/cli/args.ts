/** A bad command line: reported by `main` with the usage and exit code 2. */
export const usageError = (message: string): Error => Object.assign(new Error(message), { code: 'CLI_USAGE' });

/** Runs a `parseArgs` call, turning its complaint about an unknown or malformed flag into a usage error. */
export function flags<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw usageError((err as Error).message);
  }
}

/** `--<name> <value>` as a TCP port (0 picks a free one), or `undefined` when the flag is absent. */
export function portFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n > 65535) throw usageError(`--${name} ${JSON.stringify(value)} is not a port. Use an integer from 0 to 65535.`);
  return n;
}
