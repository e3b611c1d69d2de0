import { Agent as HttpAgent, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Duplex } from 'node:stream';
import { createProxyMiddleware, type RequestHandler } from 'http-proxy-middleware';
import { ProxyError } from './errors';
import { refuseUpgrade } from './respond';

export interface EngineOptions {
  /** Origin (and optional base path) requests are sent to. */
  target: string;
  /** Longest silence of the upstream before the request fails with 504 (or, once streaming, is cut). */
  timeout: number;
  /** Send the target's host as `Host` (true) or keep the client's (false). */
  changeOrigin: boolean;
  /** Called with the upstream's response before its headers are copied (rewrite them in place). */
  onResponse?: (proxyRes: IncomingMessage, req: IncomingMessage) => void;
  /** Name used in error messages, e.g. "the upstream" or "Kratos". */
  what: string;
}

export interface ProxyEngine {
  /** Streams the request to the target; failures before the response started go to `fail`. */
  web(req: IncomingMessage, res: ServerResponse, fail: (err: ProxyError) => void): void;
  /** Proxies a websocket upgrade; failures answer 502/504 on the socket. */
  ws(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** True when a request announces a body (`Content-Length` > 0 or `Transfer-Encoding`). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * True when something (a body parser) already read the request body: the stream was read or ended, or
 * body-parser 1.x marked it (`req._body`). Proxying then would send an empty or truncated body.
 */
export function bodyConsumed(req: IncomingMessage): boolean {
  return hasBody(req) && (req.readableDidRead || req.readableEnded || (req as { _body?: unknown })._body === true);
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade'];

/**
 * Removes hop-by-hop headers (and those listed in `Connection`) of a plain HTTP request so they never reach the
 * next hop (RFC 9110 7.6.1); call it before adding trusted headers, so a client cannot list those away.
 */
export function dropHopByHop(req: IncomingMessage): void {
  const { headers } = req;
  const connection = headers.connection;
  if (connection !== undefined) {
    for (const part of String(connection).split(',')) {
      const name = part.trim().toLowerCase();
      if (name !== '' && name !== 'transfer-encoding' && headers[name] !== undefined) delete headers[name];
    }
  }
  for (const name of HOP_BY_HOP) if (headers[name] !== undefined) delete headers[name];
}

/**
 * A streaming reverse proxy on http-proxy-middleware: bodies and responses are piped (never buffered), redirects
 * are never followed, connection failures become `UPSTREAM_UNREACHABLE` (502) and silence beyond `timeout`
 * `UPSTREAM_TIMEOUT` (504).
 */
export function createEngine(options: EngineOptions): ProxyEngine {
  const failures = new WeakMap<IncomingMessage, (err: ProxyError) => void>();
  const timedOut = new WeakSet<IncomingMessage>();

  const toError = (err: Error & { code?: string }, req: IncomingMessage) =>
    timedOut.has(req)
      ? new ProxyError('UPSTREAM_TIMEOUT', `${options.what} did not answer within ${options.timeout} ms.`, err)
      : new ProxyError('UPSTREAM_UNREACHABLE', `${options.what} could not be reached (${err.code ?? err.message}).`, err);

  // Without an agent http-proxy sends `Connection: close` and opens a connection per request.
  const agent = /^https:/i.test(options.target) ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const proxy: RequestHandler = createProxyMiddleware({
    target: options.target,
    agent,
    changeOrigin: options.changeOrigin,
    proxyTimeout: options.timeout,
    pathFilter: () => true,
    on: {
      proxyReq(proxyReq: ClientRequest, req: IncomingMessage) {
        proxyReq.once('timeout', () => timedOut.add(req));
      },
      proxyRes(proxyRes: IncomingMessage, req: IncomingMessage) {
        options.onResponse?.(proxyRes, req);
      },
      error(err: Error, req: IncomingMessage, target: ServerResponse | Duplex) {
        const error = toError(err, req);
        if (!('writeHead' in target)) return refuseUpgrade(target, error);
        if (target.headersSent) return void target.destroy();
        const fail = failures.get(req);
        if (fail) fail(error);
        else target.destroy();
      },
    },
  });

  return {
    web(req, res, fail) {
      failures.set(req, fail);
      void proxy(req, res, (err?: unknown) => fail(err instanceof ProxyError ? err : toError(err as Error, req)));
    },
    ws(req, socket, head) {
      proxy.upgrade(req, socket as Parameters<RequestHandler['upgrade']>[1], head);
    },
  };
}
