import { escapeAttribute } from './escape';

/** ` name="value"`, or `''` when the value is absent. */
export function attr(name: string, value: unknown): string {
  if (value === undefined || value === null || value === false) return '';
  return ` ${name}="${escapeAttribute(value)}"`;
}

/** A boolean attribute (` required`), or `''`. */
export function flag(name: string, on: unknown): string {
  return on === true ? ` ${name}` : '';
}

export function positiveInteger(value: unknown): number | undefined {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) && number > 0 ? number : undefined;
}
