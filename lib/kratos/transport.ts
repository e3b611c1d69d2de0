import { Pool } from 'undici';
import type { FetchLike } from './config';
import { KratosExpressError } from './errors';

export interface TransportRequest {
  method: string;
  /** Absolute URL on the configured Kratos origin (the client builds it; callers never pass one). */
  url: URL;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

export interface TransportResponse {
  status: number;
  headers: Record<string, string | string[]>;
  text: string;
}

export interface Transport {
  send(request: TransportRequest): Promise<TransportResponse>;
  close(): Promise<void>;
}

/** Largest Kratos answer read into memory; Kratos' own answers are a few kilobytes. */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

const tooLarge = (status: number) =>
  new KratosExpressError('KRATOS_BAD_RESPONSE', `Kratos answered with more than ${MAX_RESPONSE_BYTES} bytes.`, { cause: { status, body: undefined } });

/** Marks errors raised while reading a body that had already started, as opposed to connection errors. */
export class BodyReadError extends Error {
  constructor(readonly status: number, cause: unknown) {
    super('Kratos closed the connection before the response was complete.', { cause });
  }
}

/** Default transport: one undici keep-alive `Pool` to the Kratos origin. */
export function poolTransport(origin: string, connections: number): Transport {
  const pool = new Pool(origin, { connections, keepAliveTimeout: 4_000, keepAliveMaxTimeout: 60_000 });
  return {
    async send({ method, url, headers, body, signal }) {
      const response = await pool.request({
        method: method as 'GET',
        path: url.pathname + url.search,
        headers,
        body,
        signal,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of response.body) {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            response.body.destroy();
            throw tooLarge(response.statusCode);
          }
          chunks.push(chunk);
        }
      } catch (err) {
        if (err instanceof KratosExpressError) throw err;
        throw new BodyReadError(response.statusCode, err);
      }
      return { status: response.statusCode, headers: response.headers as Record<string, string | string[]>, text: Buffer.concat(chunks).toString('utf8') };
    },
    close: () => pool.close(),
  };
}

/** Transport over a user-supplied `fetch` (global fetch, node-fetch@3, ...). Redirects are never followed. */
export function fetchTransport(fetch: FetchLike): Transport {
  return {
    async send({ method, url, headers, body, signal }) {
      const response = await fetch(url.href, { method, headers, body, redirect: 'manual', signal });
      let text: string;
      try {
        text = await response.text();
      } catch (err) {
        throw new BodyReadError(response.status, err);
      }
      if (Buffer.byteLength(text) > MAX_RESPONSE_BYTES) throw tooLarge(response.status);
      const out: Record<string, string | string[]> = {};
      response.headers.forEach((value, name) => {
        out[name.toLowerCase()] = value;
      });
      const setCookie = response.headers.getSetCookie?.() ?? response.headers.raw?.()['set-cookie'];
      if (setCookie && setCookie.length > 0) out['set-cookie'] = setCookie;
      return { status: response.status, headers: out, text };
    },
    close: async () => {},
  };
}
