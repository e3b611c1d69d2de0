import type { Aal } from './config-types';
import type { Core } from './core';
import type { Ctx } from './ctx';
import type { AuthMethod, Device, SessionRecord } from './model';
import { randomAlnum, uuid } from './util';

export function deviceOf(ctx: Ctx): Device {
  const city = ctx.header('cf-ipcity');
  const country = ctx.header('cf-ipcountry');
  return {
    id: uuid(),
    ipAddress: ctx.header('true-client-ip') ?? ctx.header('x-real-ip') ?? ctx.header('x-forwarded-for')?.split(',')[0].trim() ?? ctx.req.socket.remoteAddress ?? null,
    userAgent: ctx.header('user-agent') ?? null,
    location: [city, country].filter(Boolean).join(', '),
  };
}

export interface NewSessionOptions {
  methods: { method: string; aal: Aal }[];
  authenticatedAt?: number;
  device?: Device;
}

/** Activates and stores a new session (authenticated_at = issued_at = now, expires_at = now + session.lifespan). */
export function createSessionRecord(core: Core, identityId: string, opts: NewSessionOptions): SessionRecord {
  const at = opts.authenticatedAt ?? core.now();
  const session: SessionRecord = {
    id: uuid(),
    token: `ory_st_${randomAlnum(32)}`,
    logoutToken: `ory_lo_${randomAlnum(32)}`,
    identityId,
    active: true,
    authenticatedAt: at,
    issuedAt: at,
    expiresAt: at + core.config.session.lifespanMs,
    methods: opts.methods.map((m): AuthMethod => ({ ...m, completedAt: at })),
    devices: opts.device ? [opts.device] : [],
  };
  core.store.putSession(session);
  return session;
}

/**
 * Completes an authentication on a request: keeps the request's session when it belongs to the same identity
 * (refresh / aal upgrade: same id, AMR accumulates), otherwise starts a new one.
 */
export function authenticate(core: Core, ctx: Ctx, identityId: string, method: string, aal: Aal): { session: SessionRecord; fresh: boolean } {
  const now = core.now();
  const existing = core.sessionOf(ctx);
  if (existing && existing.identityId === identityId) {
    existing.methods.push({ method, aal, completedAt: now });
    existing.authenticatedAt = now;
    existing.issuedAt = now;
    existing.expiresAt = now + core.config.session.lifespanMs;
    return { session: existing, fresh: false };
  }
  return { session: createSessionRecord(core, identityId, { methods: [{ method, aal }], device: deviceOf(ctx) }), fresh: true };
}

export function revokeSession(core: Core, sessionId: string): boolean {
  const s = core.store.sessions.get(sessionId);
  if (!s) return false;
  s.active = false;
  return true;
}

export function revokeSessionsOf(core: Core, identityId: string, exceptId?: string): number {
  let n = 0;
  for (const s of core.store.sessionsOf(identityId)) {
    if (s.id !== exceptId && s.active) {
      s.active = false;
      n++;
    }
  }
  return n;
}
