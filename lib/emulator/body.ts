import type { IncomingMessage } from 'node:http';
import { KratosError } from './errors';
import { isPlainObject, setPath } from './util';

export const MAX_BODY_BYTES = 1024 * 1024;

function readRaw(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
      req.resume();
      reject(new KratosError(413, { reason: `The request body is larger than ${MAX_BODY_BYTES} bytes.` }));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(new KratosError(413, { reason: `The request body is larger than ${MAX_BODY_BYTES} bytes.` }));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => failed || resolve(Buffer.concat(chunks)));
    req.on('error', (err) => failed || reject(err));
  });
}

/** Turns form fields with dotted names (`traits.name.first`) into nested objects; the last value of a name wins. */
export function nestFields(entries: Iterable<[string, string]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of entries) {
    if (name.includes('.')) setPath(out, name, value);
    else if (name !== '__proto__' && name !== 'constructor' && name !== 'prototype') out[name] = value;
  }
  return out;
}

const decodeError = (detail: string) => new KratosError(400, { reason: `Unable to decode the request body: ${detail}` });

/** Reads and decodes a JSON, urlencoded or multipart body (capped at 1 MB). An empty body is `{}`. */
export async function readBody(req: IncomingMessage): Promise<{ body: Record<string, unknown>; json: boolean }> {
  const raw = await readRaw(req);
  const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (raw.length === 0) return { body: {}, json: type === 'application/json' };
  if (type === 'application/json' || type.endsWith('+json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw decodeError(`invalid JSON (${(err as Error).message})`);
    }
    if (!isPlainObject(parsed)) throw decodeError('the JSON body must be an object');
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(parsed)) {
      if (k.includes('.')) setPath(out, k, v);
      else out[k] = v;
    }
    return { body: out, json: true };
  }
  if (type === 'application/x-www-form-urlencoded' || type === '') {
    return { body: nestFields(new URLSearchParams(raw.toString('utf8'))), json: false };
  }
  if (type === 'multipart/form-data') {
    let form: FormData;
    try {
      form = await new Response(new Uint8Array(raw), { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
    } catch (err) {
      throw decodeError(`malformed multipart body (${(err as Error).message})`);
    }
    const entries: [string, string][] = [];
    form.forEach((value, key) => {
      if (typeof value === 'string') entries.push([key, value]);
    });
    return { body: nestFields(entries), json: false };
  }
  throw decodeError(`Content-Type ${JSON.stringify(type)} is not supported. Use application/json, application/x-www-form-urlencoded or multipart/form-data.`);
}
