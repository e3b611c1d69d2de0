import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { toKratosErrorBody, type KratosErrorBody } from '../kratos/errors';
import { ProxyError } from './errors';

const NO_STORE = 'private, no-cache, no-store, must-revalidate';

/** Kratos' JSON error envelope for any error; the proxy's own errors keep their (safe) message. */
export function errorBody(err: unknown): KratosErrorBody {
  if (err instanceof ProxyError) return { error: { code: err.status, status: STATUS_CODES[err.status] ?? 'Error', reason: err.code, message: err.message } };
  return toKratosErrorBody(err);
}

/** Sends an error in Kratos' JSON envelope (`{ error: { code, status, message, ... } }`). */
export function sendJsonError(res: ServerResponse, err: unknown, extraHeaders: Record<string, string> = {}): void {
  const body = errorBody(err);
  const headers = { ...((err as { headers?: Record<string, string> })?.headers ?? {}), ...extraHeaders };
  res.writeHead(body.error.code, { 'content-type': 'application/json; charset=utf-8', 'cache-control': NO_STORE, ...headers });
  res.end(JSON.stringify(body));
}

/** Redirects a browser (303, never cached). */
export function sendRedirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, 'cache-control': NO_STORE, 'content-type': 'text/plain; charset=utf-8' });
  res.end(`See ${location}`);
}

/** Answers an upgrade request that is refused, on the raw socket, and closes it. */
export function refuseUpgrade(socket: Duplex, err: unknown): void {
  if (socket.destroyed) return;
  const envelope = errorBody(err);
  const body = JSON.stringify(envelope);
  const status = envelope.error.code;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nCache-Control: ${NO_STORE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Serves the public keys of signed identity tokens (JWKS). */
export function serveJwks(jwt: { ready: Promise<void>; jwks: object }, req: IncomingMessage, res: ServerResponse): void {
  void jwt.ready.then(() => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, max-age=300' });
    res.end(req.method === 'HEAD' ? undefined : JSON.stringify(jwt.jwks));
  });
}
