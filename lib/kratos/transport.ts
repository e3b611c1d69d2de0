import { Pool, type Dispatcher } from 'undici';
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

/** An answer whose Content-Length is over the limit is refused at its headers, before any of its body. */
const declaredTooLarge = (length: string | string[] | undefined) => typeof length === 'string' && Number(length) > MAX_RESPONSE_BYTES;

type Settle = { resolve: (response: TransportResponse) => void; reject: (err: unknown) => void };

/**
 * One exchange on the pool, read straight from undici's dispatch callbacks into one string: no response
 * stream, no abort-signal listener. It settles once: with the answer, with the error undici reports, or
 * with the deadline's abort (at once, even while the request still waits for a connection). Once settled it
 * lets go of the answer and of the caller's promise: undici may hold on to the handler for a while, and a
 * handler that kept them would carry every request's session into the old generation of the heap.
 */
class Exchange implements Dispatcher.DispatchHandler {
  #settle: Settle | undefined;
  #controller: Dispatcher.DispatchController | undefined = undefined;
  #aborted: Error | undefined = undefined;
  #status = 0;
  #headers: Record<string, string | string[]> | undefined = undefined;
  #chunks: Buffer[] = [];

  constructor(settle: Settle) {
    this.#settle = settle;
  }

  readonly abort = (): void => {
    if (this.#aborted) return;
    this.#aborted = new Error('The request to Kratos was aborted.');
    this.#controller?.abort(this.#aborted);
    this.#finish()?.reject(this.#aborted);
  };

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.#aborted) controller.abort(this.#aborted);
    else this.#controller = controller;
  }

  onResponseStart(controller: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>): void {
    if (status < 200) return; // an interim answer (1xx): the final one follows
    if (declaredTooLarge(headers['content-length'])) {
      this.#finish()?.reject(tooLarge(status));
      return controller.abort(new Error('The answer is larger than the client reads.'));
    }
    this.#status = status;
    this.#headers = headers as Record<string, string | string[]>;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    const chunks = this.#chunks;
    let text = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a UTF-8 byte order mark, as fetch's text() drops it
    const response = { status: this.#status, headers: this.#headers ?? {}, text };
    this.#finish()?.resolve(response);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    const status = this.#status;
    this.#finish()?.reject((err as { code?: unknown }).code === TOO_LARGE ? tooLarge(status) : status === 0 ? err : new BodyReadError(status, err));
  }

  /** The caller's callbacks the first time, `undefined` after; drops everything the exchange held. */
  #finish(): Settle | undefined {
    const settle = this.#settle;
    this.#settle = undefined;
    this.#controller = undefined;
    this.#headers = undefined;
    this.#chunks = [];
    return settle;
  }
}

/**
 * Default transport: one undici keep-alive `Pool` to the Kratos origin, driven through `dispatch` (the
 * cheapest of undici's APIs: no stream per answer). undici enforces the size limit (`maxResponseSize`).
 */
export function poolTransport(origin: string, connections: number): Transport {
  const pool = new Pool(origin, { connections, keepAliveTimeout: 4_000, keepAliveMaxTimeout: 60_000, maxResponseSize: MAX_RESPONSE_BYTES });
  return {
    send({ method, path, headers, body }, deadline) {
      return new Promise((resolve, reject) => {
        const exchange = new Exchange({ resolve, reject });
        deadline.abort = exchange.abort;
        pool.dispatch({ method: method as Dispatcher.HttpMethod, path, headers, body }, exchange);
      });
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
      const out: Record<string, string | string[]> = {};
      response.headers.forEach((value, name) => {
        out[name.toLowerCase()] = value;
      });
      if (declaredTooLarge(out['content-length'])) {
        controller.abort();
        throw tooLarge(response.status);
      }
      let text: string;
      try {
        text = await response.text();
      } catch (err) {
        throw new BodyReadError(response.status, err);
      }
      if (Buffer.byteLength(text) > MAX_RESPONSE_BYTES) throw tooLarge(response.status);
      const setCookie = response.headers.getSetCookie?.() ?? response.headers.raw?.()['set-cookie'];
      if (setCookie && setCookie.length > 0) out['set-cookie'] = setCookie;
      return { status: response.status, headers: out, text };
    },
    close: async () => {},
  };
}
