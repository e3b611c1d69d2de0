import type { SerializeOptions } from 'cookie';
import type { EmulatorConfig } from './config-types';
import { csrfCookieName } from './csrf';
import type { Ctx } from './ctx';
import { KratosError } from './errors';
import type { CourierMessage, ErrorContainer, FlowKind, IdentityRecord, SessionRecord } from './model';
import { ReturnToPolicy } from './return-to';
import type { IdentitySchema } from './schema';
import { Store } from './store';
import { uuid } from './util';

/** Shared emulator state and the helpers every route uses. */
export class Core {
  readonly store = new Store();
  baseUrl: string;
  /** Admin server URL with a trailing slash (set once listening). */
  adminUrl = 'http://127.0.0.1:4434/';
  csrfCookieName: string;
  returnTo: ReturnToPolicy;

  constructor(
    readonly config: EmulatorConfig,
    readonly schemas: Map<string, IdentitySchema>,
    readonly clock: () => number,
  ) {
    this.baseUrl = config.baseUrl;
    this.csrfCookieName = csrfCookieName(config.rawBaseUrl);
    this.returnTo = new ReturnToPolicy(config.allowedReturnUrls, this.baseUrl, config.defaultBrowserReturnUrl);
  }

  /** Sets serve.public.base_url once the real listening address is known. */
  setBaseUrl(baseUrl: string): void {
    this.baseUrl = baseUrl.endsWith('/') ? baseUrl : baseUrl + '/';
    this.config.baseUrl = this.baseUrl;
    this.config.rawBaseUrl = baseUrl;
    this.csrfCookieName = csrfCookieName(baseUrl);
    this.returnTo = new ReturnToPolicy(this.config.allowedReturnUrls, this.baseUrl, this.config.defaultBrowserReturnUrl);
  }

  now(): number {
    return this.clock();
  }

  get secureCookies(): boolean {
    return this.baseUrl.startsWith('https:');
  }

  csrfCookieOptions(): SerializeOptions {
    const c = this.config.cookies;
    return { path: c.path, domain: c.domain, httpOnly: true, secure: this.secureCookies, sameSite: this.secureCookies ? (c.sameSite.toLowerCase() as 'lax') : 'lax', maxAge: 31_536_000 };
  }

  sessionCookieOptions(expiresAt: number): SerializeOptions {
    const c = this.config.session.cookie;
    const opts: SerializeOptions = { path: c.path, domain: c.domain, httpOnly: true, secure: this.secureCookies, sameSite: c.sameSite.toLowerCase() as 'lax' };
    if (c.persistent) {
      opts.maxAge = Math.max(0, Math.floor((expiresAt - this.now()) / 1000));
      opts.expires = new Date(expiresAt);
    }
    return opts;
  }

  schemaFor(identity: { schemaId: string }): IdentitySchema {
    const s = this.schemas.get(identity.schemaId) ?? this.schemas.get(this.config.identity.defaultSchemaId);
    if (!s) throw new KratosError(500, { reason: `Identity schema ${JSON.stringify(identity.schemaId)} is not configured.` });
    return s;
  }

  get defaultSchema(): IdentitySchema {
    return this.schemaFor({ schemaId: this.config.identity.defaultSchemaId });
  }

  // URLs ---------------------------------------------------------------------------------------------------

  publicUrl(path: string, query?: Record<string, string | undefined>): string {
    const u = new URL(this.baseUrl + path.replace(/^\//, ''));
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, v);
    return u.toString();
  }

  actionUrl(kind: FlowKind, flowId: string): string {
    return this.publicUrl(`self-service/${kind}`, { flow: flowId });
  }

  uiUrl(kind: FlowKind, flowId: string): string {
    const u = new URL(this.config.flows[kind].uiUrl);
    u.searchParams.set('flow', flowId);
    return u.toString();
  }

  errorUiUrl(errorId: string): string {
    const u = new URL(this.config.flows.error.uiUrl);
    u.searchParams.set('id', errorId);
    return u.toString();
  }

  // Errors -------------------------------------------------------------------------------------------------

  storeError(error: Record<string, unknown>): ErrorContainer {
    const now = this.now();
    const container = { id: uuid(), error, createdAt: now, updatedAt: now, seen: false };
    this.store.errors.set(container.id, container);
    return container;
  }

  /** Kratos' error forwarding (§2.8): JSON callers get the error, browsers go to the error UI. */
  forward(ctx: Ctx, err: KratosError, json = ctx.isJsonRequest()): void {
    if (json) return ctx.error(err);
    const container = this.storeError(err.error);
    ctx.redirect(303, this.errorUiUrl(container.id));
  }

  // Sessions ---------------------------------------------------------------------------------------------

  identityOf(session: SessionRecord): IdentityRecord | undefined {
    return this.store.identities.get(session.identityId);
  }

  isActive(session: SessionRecord): boolean {
    const identity = this.identityOf(session);
    return session.active && session.expiresAt > this.now() && identity !== undefined && identity.state === 'active';
  }

  /** Session cookie value: opaque to clients, decodes to the session token. */
  encodeSessionCookie(session: SessionRecord): string {
    return Buffer.from(JSON.stringify({ session_token: session.token, expires_at: new Date(session.expiresAt).toISOString(), nonce: uuid().slice(0, 8) })).toString('base64url');
  }

  private decodeSessionCookie(value: string | undefined): string | undefined {
    if (!value) return undefined;
    try {
      const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as { session_token?: unknown };
      return typeof parsed.session_token === 'string' ? parsed.session_token : undefined;
    } catch {
      return undefined;
    }
  }

  /** The credential the request carries: X-Session-Token, else the session cookie, else Authorization: Bearer. */
  requestToken(ctx: Ctx, cookieAllowed = true): string | undefined {
    const header = ctx.header('x-session-token');
    if (header) return header;
    if (cookieAllowed) {
      const fromCookie = this.decodeSessionCookie(ctx.cookies[this.config.session.cookie.name]);
      if (fromCookie) return fromCookie;
    }
    const auth = ctx.header('authorization');
    const m = auth ? /^bearer\s+(.+)$/i.exec(auth) : null;
    return m ? m[1].trim() : undefined;
  }

  /** The active session of the request, if any. */
  sessionOf(ctx: Ctx): SessionRecord | undefined {
    const token = this.requestToken(ctx);
    const session = token ? this.store.sessionByToken(token) : undefined;
    return session && this.isActive(session) ? session : undefined;
  }

  /** aal2 iff the identity has a usable second factor. */
  availableAal(identity: IdentityRecord): 'aal1' | 'aal2' {
    const lookup = identity.credentials.lookup_secret?.config.recovery_codes;
    return identity.credentials.totp || (Array.isArray(lookup) && lookup.length > 0) ? 'aal2' : 'aal1';
  }

  issueSessionCookie(ctx: Ctx, session: SessionRecord): void {
    ctx.setCookie(this.config.session.cookie.name, this.encodeSessionCookie(session), this.sessionCookieOptions(session.expiresAt));
  }

  clearSessionCookie(ctx: Ctx): void {
    const c = this.config.session.cookie;
    ctx.setCookie(c.name, '', { path: c.path, domain: c.domain, httpOnly: true, secure: this.secureCookies, sameSite: c.sameSite.toLowerCase() as 'lax', maxAge: 0, expires: new Date(0) });
  }

  // Courier ------------------------------------------------------------------------------------------------

  sendMail(recipient: string, templateType: string, subject: string, body: string, code?: string): CourierMessage {
    const now = this.now();
    const msg: CourierMessage = { id: uuid(), status: 'sent', type: 'email', recipient, body, subject, templateType, sendCount: 1, createdAt: now, updatedAt: now, code };
    this.store.messages.push(msg);
    return msg;
  }
}
