import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseCookies, serialize, type SerializeOptions } from 'cookie';
import { readBody } from './body';
import { isValidCsrfCookie, maskCsrfToken, newCsrfToken } from './csrf';
import { KratosError } from './errors';
import { negotiate } from './negotiate';

export type ServerName = 'public' | 'admin';

export interface ResponseEvent {
  server: ServerName;
  method: string;
  path: string;
  route: string;
  status: number;
  contentType?: string;
  body: unknown;
}

export interface CtxEnv {
  csrfCookieName: string;
  cookieOptions: SerializeOptions;
  onSent(ctx: Ctx, status: number, contentType: string | undefined, body: unknown): void;
}

const HTML_OFFERS = ['text/html', 'text/*', '*/*', 'application/json'];
const REDIRECT_OFFERS = ['text/html', 'application/json'];

/** One request/response pair with Kratos' header, cookie and negotiation rules. */
export class Ctx {
  readonly url: URL;
  readonly cookies: Record<string, string | undefined>;
  route = '';
  private readonly setCookies: string[] = [];
  private csrfRaw?: string;
  private bodyCache?: Promise<{ body: Record<string, unknown>; json: boolean }>;
  sent = false;

  constructor(readonly server: ServerName, readonly req: IncomingMessage, readonly res: ServerResponse, readonly env: CtxEnv) {
    this.url = new URL(req.url ?? '/', 'http://emulator.invalid');
    let cookies: Record<string, string | undefined> = {};
    try {
      cookies = parseCookies(String(req.headers.cookie ?? ''));
    } catch {
      cookies = {};
    }
    this.cookies = cookies;
  }

  get method(): string {
    return (this.req.method ?? 'GET').toUpperCase();
  }

  get query(): URLSearchParams {
    return this.url.searchParams;
  }

  header(name: string): string | undefined {
    const v = this.req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  }

  /** The URL as the client sent it (X-Forwarded-Proto / X-Forwarded-Host honoured). */
  requestUrl(): string {
    const proto = this.header('x-forwarded-proto')?.split(',')[0].trim() || 'http';
    const host = this.header('x-forwarded-host')?.split(',')[0].trim() || this.header('host') || 'localhost';
    return `${proto}://${host}${this.req.url ?? '/'}`;
  }

  /** Kratos' IsJSONRequest: Accept negotiates to JSON, or Content-Type is exactly application/json. */
  isJsonRequest(): boolean {
    return negotiate(this.header('accept'), HTML_OFFERS, 'text/html') === 'application/json' || this.header('content-type') === 'application/json';
  }

  /** Negotiation over text/html and application/json only (flow init, success redirects). */
  acceptsJson(): boolean {
    return negotiate(this.header('accept'), REDIRECT_OFFERS, 'text/html') === 'application/json';
  }

  isBrowserRequest(): boolean {
    return negotiate(this.header('accept'), HTML_OFFERS, 'text/html') === 'text/html';
  }

  body(): Promise<{ body: Record<string, unknown>; json: boolean }> {
    this.bodyCache ??= readBody(this.req);
    return this.bodyCache;
  }

  setCookie(name: string, value: string, options: SerializeOptions): void {
    this.setCookies.push(serialize(name, value, { encode: (v: string) => v, ...options }));
  }

  /** The raw CSRF token of this request: the cookie's if valid, else a new one (and its Set-Cookie). */
  csrfToken(): string {
    if (this.csrfRaw) return this.csrfRaw;
    const existing = this.cookies[this.env.csrfCookieName];
    if (isValidCsrfCookie(existing)) return (this.csrfRaw = existing);
    return this.regenerateCsrf();
  }

  /** A masked token for a form, for the current (or new) CSRF cookie. */
  maskedCsrf(): string {
    return maskCsrfToken(this.csrfToken());
  }

  regenerateCsrf(): string {
    this.csrfRaw = newCsrfToken();
    this.setCookie(this.env.csrfCookieName, this.csrfRaw, this.env.cookieOptions);
    return this.csrfRaw;
  }

  /** The CSRF cookie value the request carried (not a regenerated one). */
  requestCsrfCookie(): string | undefined {
    return this.cookies[this.env.csrfCookieName];
  }

  private write(status: number, headers: Record<string, string>, payload: string | undefined, hookBody: unknown): void {
    if (this.sent || this.res.headersSent) return;
    this.sent = true;
    if (this.setCookies.length > 0) this.res.setHeader('Set-Cookie', this.setCookies);
    for (const [k, v] of Object.entries(headers)) this.res.setHeader(k, v);
    if (payload !== undefined) this.res.setHeader('Content-Length', Buffer.byteLength(payload));
    this.res.statusCode = status;
    this.res.end(payload);
    this.env.onSent(this, status, headers['Content-Type'], hookBody);
  }

  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.write(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers }, JSON.stringify(body), body);
  }

  error(err: KratosError): void {
    const body = err.body();
    this.write(err.status, { 'Content-Type': 'application/json' }, JSON.stringify(body), body);
  }

  redirect(status: 302 | 303, location: string): void {
    this.write(status, { Location: location }, undefined, undefined);
  }

  noContent(): void {
    this.write(204, {}, undefined, undefined);
  }

  text(status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
    this.write(status, { 'Content-Type': contentType }, text, undefined);
  }
}
