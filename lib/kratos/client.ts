import type { ResolvedKratosConfig } from './config';
import { Deadlines } from './deadline';
import { KratosExpressError } from './errors';
import { BodyReadError, fetchTransport, poolTransport, type Transport, type TransportResponse } from './transport';

export interface KratosRequest {
  method?: string;
  /** Path on Kratos' public API, e.g. `/sessions/whoami`. Full URLs are refused: credentials only go to Kratos. */
  path: string;
  query?: Record<string, string | undefined>;
  /** Sent as given, and nothing else (besides `accept: application/json` unless set). */
  headers?: Record<string, string | undefined>;
  /** A string is sent as is; anything else is sent as JSON with `content-type: application/json`. */
  body?: unknown;
  signal?: AbortSignal;
}

export interface KratosResponse {
  status: number;
  /** Lower-case header names; `set-cookie` is an array. */
  headers: Record<string, string | string[]>;
  /** Parsed JSON when Kratos answered JSON, else `undefined`. */
  body: unknown;
  text: string;
}

/** The credential of one request, as found by `getCredentials`. */
export interface SessionCredentials {
  /** Cookie header carrying only the session cookie, e.g. `ory_kratos_session=...`. */
  cookie?: string;
  sessionToken?: string;
}

const SAFE_PATH = /^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i;
const LINE_BREAK = /[\r\n\0]/;
const WHOAMI = '/sessions/whoami';

const badHeader = (name: string) => new KratosExpressError('BAD_REQUEST', `The ${name} header contains line breaks or NUL characters.`);

/**
 * HTTP client of Kratos' public API: never follows redirects, forwards only the headers it is given, only
 * to the configured Kratos origin, within the configured timeout. Connection errors become
 * `KRATOS_UNREACHABLE` (502), timeouts `KRATOS_TIMEOUT` (504), malformed JSON `KRATOS_BAD_RESPONSE` (502).
 * Every status code is returned as is; {@link errorFromResponse} maps an unexpected one to an error.
 *
 * @example
 * const client = new KratosClient(resolveConfig({ publicUrl: 'http://127.0.0.1:4433' }));
 * const res = await client.request({ path: '/self-service/login/flows', query: { id }, headers: { cookie: req.headers.cookie } });
 * if (res.status !== 200) throw errorFromResponse(res);
 */
export class KratosClient {
  readonly #config: ResolvedKratosConfig;
  readonly #transport: Transport;
  readonly #deadlines: Deadlines;
  readonly #whoamiPath: string;

  constructor(config: ResolvedKratosConfig) {
    this.#config = config;
    this.#transport = config.fetch ? fetchTransport(config.fetch, config.publicOrigin) : poolTransport(config.publicOrigin, config.connections);
    this.#deadlines = new Deadlines(config.timeout);
    this.#whoamiPath = new URL(config.publicUrl + WHOAMI).pathname;
  }

  /** Sends one request to Kratos' public API. */
  async request(request: KratosRequest): Promise<KratosResponse> {
    const { method = 'GET', path, query, signal } = request;
    if (typeof path !== 'string' || !SAFE_PATH.test(path) || /(^|\/)\.\.?(\/|$)|%2e%2e|%2f|%5c/i.test(path)) {
      throw new KratosExpressError('BAD_REQUEST', `Refusing to call Kratos with the path ${JSON.stringify(path)}: it must be a plain path such as /sessions/whoami.`);
    }
    const url = new URL(this.#config.publicUrl + path);
    for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.append(name, value);

    const headers: Record<string, string> = { accept: 'application/json' };
    for (const [name, value] of Object.entries(request.headers ?? {})) {
      if (value === undefined) continue;
      if (LINE_BREAK.test(value)) throw badHeader(name);
      headers[name.toLowerCase()] = value;
    }
    let body: string | undefined;
    if (request.body !== undefined) {
      body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
      if (typeof request.body !== 'string' && !headers['content-type']) headers['content-type'] = 'application/json';
    }
    return this.#send(method, path, url.pathname + url.search, headers, body, signal);
  }

  /**
   * `GET /sessions/whoami` with one credential. Returns Kratos' answer as is (200, 401, 403, ...).
   *
   * @example
   * const res = await client.whoami(getCredentials(req, 'ory_kratos_session'));
   */
  whoami(credentials: SessionCredentials, signal?: AbortSignal): Promise<KratosResponse> {
    const { sessionToken, cookie } = credentials;
    let headers: Record<string, string>;
    if (sessionToken !== undefined) {
      if (LINE_BREAK.test(sessionToken)) return Promise.reject(badHeader('x-session-token'));
      headers = { accept: 'application/json', 'x-session-token': sessionToken };
    } else if (cookie !== undefined) {
      if (LINE_BREAK.test(cookie)) return Promise.reject(badHeader('cookie'));
      headers = { accept: 'application/json', cookie };
    } else {
      headers = { accept: 'application/json' };
    }
    return this.#send('GET', WHOAMI, this.#whoamiPath, headers, undefined, signal);
  }

  /** Closes the keep-alive pool (waits for requests in flight). */
  close(): Promise<void> {
    return this.#transport.close();
  }

  /** One exchange, bounded as a whole (connection, headers and body) by the configured timeout. */
  async #send(method: string, path: string, target: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal | undefined): Promise<KratosResponse> {
    if (signal?.aborted) throw signal.reason;
    const deadline = this.#deadlines.start();
    const onAbort = signal && (() => deadline.abort?.());
    if (onAbort) signal.addEventListener('abort', onAbort, { once: true });
    let response: TransportResponse;
    try {
      response = await this.#transport.send({ method, path: target, headers, body }, deadline);
    } catch (err) {
      if (signal?.aborted) throw signal.reason ?? err;
      if (err instanceof KratosExpressError) throw err;
      if (deadline.expired) {
        throw new KratosExpressError('KRATOS_TIMEOUT', `Kratos did not answer ${method} ${path} within ${this.#config.timeout} ms.`, { cause: err as Error });
      }
      if (err instanceof BodyReadError) {
        throw new KratosExpressError('KRATOS_BAD_RESPONSE', `Kratos closed the connection before its answer to ${method} ${path} was complete.`, { cause: { status: err.status, body: undefined } });
      }
      throw new KratosExpressError('KRATOS_UNREACHABLE', `Kratos could not be reached at ${this.#config.publicOrigin} (${(err as Error)?.message ?? err}).`, { cause: err as Error });
    } finally {
      this.#deadlines.finish(deadline);
      if (onAbort) signal!.removeEventListener('abort', onAbort);
    }

    const { status } = response;
    const contentType = String(response.headers['content-type'] ?? '');
    let parsed: unknown;
    if (JSON_TYPE.test(contentType)) {
      try {
        parsed = JSON.parse(response.text);
      } catch {
        throw new KratosExpressError('KRATOS_BAD_RESPONSE', `Kratos answered ${method} ${path} with malformed JSON (status ${status}).`, { cause: { status, body: response.text.slice(0, 2048) } });
      }
    }
    return { status, headers: response.headers, body: parsed, text: response.text };
  }
}

/**
 * Maps an answer the caller did not expect to an error: 5xx and 429 become `KRATOS_UNAVAILABLE` (503,
 * `Retry-After` kept), anything else `KRATOS_BAD_RESPONSE` (502). The answer is kept as `cause`.
 */
export function errorFromResponse(response: KratosResponse, what = 'the request'): KratosExpressError {
  const cause = { status: response.status, body: response.body ?? response.text.slice(0, 2048) };
  if (response.status >= 500 || response.status === 429) {
    const retryAfter = response.headers['retry-after'];
    const value = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
    return new KratosExpressError('KRATOS_UNAVAILABLE', `Kratos is unavailable: it answered ${what} with status ${response.status}.`, {
      cause,
      ...(value && /^[\w ,:+-]{1,64}$/.test(value) ? { headers: { 'Retry-After': value } } : {}),
    });
  }
  return new KratosExpressError('KRATOS_BAD_RESPONSE', `Kratos answered ${what} with an unexpected status ${response.status}.`, { cause });
}
