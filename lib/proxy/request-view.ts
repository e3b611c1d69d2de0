import type { IncomingMessage } from 'node:http';
import type { TrustPredicate } from './trust';

/** What `currentUrl` reads of a request (it honours Express' `trust proxy` through `app`). */
interface ExpressLike extends IncomingMessage {
  app?: unknown;
  originalUrl?: string;
}

function first(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  const head = text?.split(',')[0]?.trim();
  return head || undefined;
}

/**
 * A stand-in request describing the URL the browser used, for `currentUrl`, `loginUrl` and `safeReturnTo`.
 * Only `headers`, `url`, `protocol` and `socket` are read by those helpers.
 */
export function requestView(req: IncomingMessage, url: { protocol: string; host: string | undefined; path: string }): IncomingMessage {
  return {
    headers: { ...req.headers, host: url.host, 'x-forwarded-host': undefined },
    url: url.path,
    protocol: url.protocol,
    socket: req.socket,
  } as unknown as IncomingMessage;
}

/**
 * The request as the browser sent it. Express apps answer with Express' own `trust proxy` (the request is
 * returned as is); on plain `http`/Connect, `X-Forwarded-Proto`/`X-Forwarded-Host` count only when the peer is
 * a trusted proxy.
 */
export function browserRequest(req: IncomingMessage, trusted: TrustPredicate | undefined): IncomingMessage {
  const express = req as ExpressLike;
  if (express.app !== undefined || !trusted || !trusted(req.socket?.remoteAddress)) return req;
  const proto = first(req.headers['x-forwarded-proto']);
  const encrypted = Boolean((req.socket as { encrypted?: boolean } | undefined)?.encrypted);
  return requestView(req, {
    protocol: proto === 'https' || proto === 'http' ? proto : encrypted ? 'https' : 'http',
    host: first(req.headers['x-forwarded-host']) ?? req.headers.host,
    path: express.originalUrl ?? req.url ?? '/',
  });
}

/**
 * `X-Forwarded-For` for the next hop: the peer's address appended to the chain when the peer is trusted (by
 * `trusted`, or Express' `trust proxy`), otherwise the peer's address alone, so a client cannot forge the chain.
 */
export function forwardedFor(req: IncomingMessage, trusted: TrustPredicate | undefined): string {
  const peer = req.socket?.remoteAddress ?? '';
  const trustFn = (req as { app?: { get?(name: string): unknown } }).app?.get?.('trust proxy fn');
  const isTrusted = typeof trustFn === 'function' ? Boolean(trustFn(peer, 0)) : Boolean(trusted?.(peer));
  const chain = req.headers['x-forwarded-for'];
  const existing = (Array.isArray(chain) ? chain.join(', ') : chain)?.trim();
  return isTrusted && existing && /^[0-9A-Fa-f:., ]+$/.test(existing) ? `${existing}, ${peer}` : peer;
}
