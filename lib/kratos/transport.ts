import { EventEmitter } from 'node:events';
import { Pool } from 'undici';
import type { FetchLike } from './config';
import type { Deadline } from './deadline';
import { KratosExpressError } from './errors';

export interface TransportRequest {
  method: string;
  /** Path and query on the configured Kratos origin (the client builds it; callers never pass one). */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface TransportResponse {
  status: number;
  headers: Record<string, string | string[]>;
  text: string;
}

export interface Transport {
  /** Sends one request; sets `deadline.abort` to what aborts it (on timeout or the caller's abort). */
  send(request: TransportRequest, deadline: Deadline): Promise<TransportResponse>;
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

const TOO_LARGE = 'UND_ERR_RES_EXCEEDED_MAX_SIZE';

/**
 * Default transport: one undici keep-alive `Pool` to the Kratos origin. undici enforces the size limit
 * (`maxResponseSize`); an `EventEmitter` as `signal` aborts the request (cheaper than an `AbortController`).
 */
export function poolTransport(origin: string, connections: number): Transport {
  const pool = new Pool(origin, { connections, keepAliveTimeout: 4_000, keepAliveMaxTimeout: 60_000, maxResponseSize: MAX_RESPONSE_BYTES });
  return {
    async send({ method, path, headers, body }, deadline) {
      const signal = new EventEmitter();
      deadline.abort = () => signal.emit('abort');
      const response = await pool.request({ method: method as 'GET', path, headers, body, signal });
      let text: string;
      try {
        text = await response.body.text();
      } catch (err) {
        if ((err as { code?: unknown } | undefined)?.code === TOO_LARGE) throw tooLarge(response.statusCode);
        throw new BodyReadError(response.statusCode, err);
      }
      return { status: response.statusCode, headers: response.headers as Record<string, string | string[]>, text };
    },
    close: () => pool.close(),
  };
}

/** Transport over a user-supplied `fetch` (global fetch, node-fetch@3, ...). Redirects are never followed. */
export function fetchTransport(fetch: FetchLike, origin: string): Transport {
  return {
    async send({ method, path, headers, body }, deadline) {
      const controller = new AbortController();
      deadline.abort = () => controller.abort();
      const response = await fetch(origin + path, { method, headers, body, redirect: 'manual', signal: controller.signal });
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
