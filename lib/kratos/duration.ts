const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/**
 * Parses a duration given as milliseconds (`5000`) or as a string with one unit (`'500ms'`, `'30s'`,
 * `'10m'`, `'1h'`, `'1d'`). Returns `undefined` for anything else, including negative, zero, non-finite
 * and fractional-millisecond results, so callers can report the option by name.
 *
 * @example
 * parseDuration('10m'); // 600000
 * parseDuration(250);   // 250
 * parseDuration('ten'); // undefined
 */
export function parseDuration(value: unknown): number | undefined {
  let ms: number | undefined;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string') {
    const match = DURATION.exec(value.trim());
    if (match) ms = Number(match[1]) * UNIT_MS[match[2]];
  }
  if (ms === undefined || !Number.isFinite(ms) || ms <= 0) return undefined;
  return Math.round(ms);
}
