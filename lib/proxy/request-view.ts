import type { IncomingMessage } from 'node:http';
import { normalizeHeaderName } from './identity-headers';
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

/** Whether the peer of a request is a trusted proxy: by `trusted`, or by Express' `trust proxy` in an Express app. */
export function fromTrustedProxy(req: IncomingMessage, trusted: TrustPredicate | undefined): boolean {
  const peer = req.socket?.remoteAddress ?? '';
  const trustFn = (req as { app?: { get?(name: string): unknown } }).app?.get?.('trust proxy fn');
  return typeof trustFn === 'function' ? Boolean(trustFn(peer, 0)) : Boolean(trusted?.(peer));
}

/**
 * `X-Forwarded-For` for the next hop: the peer's address appended to the chain when the peer is a trusted
 * proxy ({@link fromTrustedProxy}), otherwise the peer's address alone, so a client cannot forge the chain.
 */
export function forwardedFor(req: IncomingMessage, trustedPeer: boolean): string {
  const peer = req.socket?.remoteAddress ?? '';
  const chain = req.headers['x-forwarded-for'];
  const existing = (Array.isArray(chain) ? chain.join(', ') : chain)?.trim();
  return trustedPeer && existing && /^[0-9A-Fa-f:., ]+$/.test(existing) ? `${existing}, ${peer}` : peer;
}

/** Forwarding headers the gate sets itself; every spelling a client sent (`x_forwarded_host`) is removed first. */
const SET_BY_GATE = new Set(['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto']);
/** URL overrides some servers route by (IIS, Symfony, Zend): the gate decided on the request's own path. */
const URL_OVERRIDES = new Set(['x-original-url', 'x-rewrite-url']);

/**
 * Whether a client's forwarding header must not reach the upstream: any spelling of those the gate sets,
 * `X-Original-URL` / `X-Rewrite-URL`, and, unless the peer is a trusted proxy, the rest of the `X-Forwarded-*`
 * family (`-Prefix`, `-Port`, `-Ssl`, `-Uri`, ...) and `X-Real-IP`, which an upstream trusting the gate would
 * believe. Names are compared case- and `_`/`-`-insensitively.
 */
export function spoofedForwarding(name: string, trustedPeer: boolean): boolean {
  const normalized = normalizeHeaderName(name);
  if (SET_BY_GATE.has(normalized) || URL_OVERRIDES.has(normalized)) return true;
  return !trustedPeer && (normalized.startsWith('x-forwarded-') || normalized === 'x-real-ip');
}
