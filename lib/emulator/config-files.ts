import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FileSource {
  /** Directory relative references are resolved against. */
  dir: string;
  /** Files known by base name (the built-in configuration's schema). */
  embedded: Readonly<Record<string, string>>;
}

/**
 * Reads a Kratos file reference (`file:///abs`, `file://./rel`, a plain path or `base64://...`).
 * A file that does not exist where the URL says is looked up by base name next to the configuration.
 * Returns the text, or an error sentence.
 */
export function readReference(url: string, src: FileSource): { text: string } | { error: string } {
  if (url.startsWith('base64://')) {
    const text = Buffer.from(url.slice('base64://'.length), 'base64').toString('utf8');
    return text ? { text } : { error: 'is an empty base64:// reference' };
  }
  if (/^https?:\/\//i.test(url)) {
    return { error: 'is a remote URL; the emulator reads only file:// and base64:// references. Copy the file next to kratos.yml and use file://./<name>' };
  }
  let path: string;
  if (url.startsWith('file://')) {
    const rest = url.slice('file://'.length);
    if (rest.startsWith('/')) {
      try {
        path = fileURLToPath(url);
      } catch {
        return { error: 'is not a valid file:// URL' };
      }
    } else path = resolve(src.dir, rest);
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    return { error: 'uses an unsupported scheme; use file:// or base64://' };
  } else path = isAbsolute(url) ? url : resolve(src.dir, url);
  const candidates = [path, resolve(src.dir, basename(path))];
  for (const candidate of candidates) {
    if (existsSync(candidate)) {
      try {
        return { text: readFileSync(candidate, 'utf8') };
      } catch (err) {
        return { error: `could not be read (${(err as Error).message})` };
      }
    }
  }
  const embedded = src.embedded[basename(path)];
  if (embedded !== undefined) return { text: embedded };
  return { error: `points to a file that does not exist (also looked for ${basename(path)} in ${src.dir})` };
}

export const dirOf = (file: string): string => dirname(resolve(file));
