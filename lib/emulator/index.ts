import type { Server } from 'node:http';
import { loadEmulatorConfig, EmulatorConfigError } from './config';
import type { EmulatorConfig } from './config-types';
import { Core } from './core';
import type { ResponseEvent } from './ctx';
import { totpCodeAt } from './factors';
import { createIdentity, totpSecretOf } from './identities';
import { renderIdentity, renderSession } from './render';
import { renderMessage } from './routes-admin';
import { buildRouters } from './routes';
import { compileSchemas } from './schema';
import { closeServer, createEmulatorServer, Instrumentation, listen, type FaultSpec } from './server';
import { createSessionRecord, revokeSession, revokeSessionsOf } from './sessions';
import { isPlainObject } from './util';

export { EmulatorConfigError } from './config';
export type { EmulatorConfig } from './config-types';
export type { ResponseEvent } from './ctx';
export type { FaultSpec } from './server';

export interface KratosEmulatorOptions {
  /** Path to a kratos.yml, or an already parsed configuration; default: the built-in email-password quickstart. */
  config?: string | Record<string, unknown>;
  /** Deep-merged over the configuration. */
  overrides?: Record<string, unknown>;
  host?: string;
  port?: number;
  adminPort?: number;
  /** serve.public.base_url override (for example behind a proxy). */
  baseUrl?: string;
  /** Milliseconds since the epoch; default Date.now. */
  clock?: () => number;
  /** Called for every response of both servers. */
  onResponse?: (e: ResponseEvent) => void;
  /** Keep serve.public.base_url from the configuration even when listening elsewhere (the CLI does this). */
  keepConfigBaseUrl?: boolean;
}

export interface CreateIdentityOptions {
  traits: Record<string, unknown>;
  password?: string;
  schemaId?: string;
  verified?: boolean;
  state?: 'active' | 'inactive';
  metadataPublic?: unknown;
  metadataAdmin?: unknown;
  totp?: boolean | string;
  lookupSecrets?: boolean | string[];
}

export interface CreateSessionOptions {
  aal?: 'aal1' | 'aal2';
  authenticatedAt?: Date;
  methods?: string[];
}

export interface CreatedSession {
  session: Record<string, unknown>;
  token: string;
  cookie: string;
}

export interface KratosEmulator {
  readonly publicUrl: string;
  readonly adminUrl: string;
  readonly baseUrl: string;
  readonly config: EmulatorConfig;
  readonly sessionCookieName: string;
  readonly csrfCookieName: string;
  createIdentity(options: CreateIdentityOptions): Promise<Record<string, unknown>>;
  createSession(identityId: string, options?: CreateSessionOptions): Promise<CreatedSession>;
  revokeSession(sessionId: string): void;
  revokeSessions(identityId: string): void;
  expireSession(sessionId: string): void;
  expireFlow(flowId: string): void;
  messages(filter?: { recipient?: string }): Record<string, unknown>[];
  lastCode(recipient: string): string | undefined;
  totpCode(identityId: string): string;
  stats(): Record<string, number>;
  resetStats(): void;
  fault(spec: FaultSpec): () => void;
  close(): Promise<void>;
}

/** Diagnostic access to the in-memory store (identities, sessions, flows, messages), for tests that inspect state. */
export const STATE = Symbol.for('kratos-express.emulator.state');

const SECOND_FACTORS = new Set(['totp', 'lookup_secret', 'webauthn']);

function validateOptions(o: KratosEmulatorOptions): string[] {
  const problems: string[] = [];
  const port = (name: string, v: unknown) => {
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535)) problems.push(`${name}: ${JSON.stringify(v)} is not a port. Use an integer from 0 to 65535 (0 picks a free port).`);
  };
  if (!isPlainObject(o)) return [`options: ${JSON.stringify(o)} is not an object. Call createKratosEmulator({ ... }) or createKratosEmulator().`];
  port('port', o.port);
  port('adminPort', o.adminPort);
  if (o.host !== undefined && (typeof o.host !== 'string' || !o.host)) problems.push(`host: ${JSON.stringify(o.host)} is not a host name. Use for example '127.0.0.1'.`);
  if (o.clock !== undefined && typeof o.clock !== 'function') problems.push(`clock: ${typeof o.clock} is not a function. Pass () => milliseconds since the epoch.`);
  if (o.onResponse !== undefined && typeof o.onResponse !== 'function') problems.push(`onResponse: ${typeof o.onResponse} is not a function.`);
  if (o.baseUrl !== undefined && typeof o.baseUrl !== 'string') problems.push(`baseUrl: ${JSON.stringify(o.baseUrl)} is not a URL string.`);
  return problems;
}

const hostForUrl = (host: string): string => (host.includes(':') ? `[${host}]` : host);

/**
 * Starts an in-memory Kratos v1.3 emulator: the public API on `publicUrl` and the admin API on `adminUrl`.
 *
 * @example
 * const kratos = await createKratosEmulator();
 * const { id } = await kratos.createIdentity({ traits: { email: 'a@example.com' }, password: 'a-long-password' });
 * const { cookie } = await kratos.createSession(id as string);
 * await fetch(`${kratos.publicUrl}/sessions/whoami`, { headers: { cookie } });
 * await kratos.close();
 */
export async function createKratosEmulator(options: KratosEmulatorOptions = {}): Promise<KratosEmulator> {
  const optionProblems = validateOptions(options);
  let config: ReturnType<typeof loadEmulatorConfig>;
  try {
    config = loadEmulatorConfig({ config: options.config, overrides: options.overrides, baseUrl: options.baseUrl });
  } catch (err) {
    if (err instanceof EmulatorConfigError) throw new EmulatorConfigError(err.source, [...optionProblems, ...err.problems]);
    throw err;
  }
  const compiled = compileSchemas(config.identity.schemas);
  const problems = [...optionProblems, ...compiled.problems];
  if (problems.length > 0) throw new EmulatorConfigError(config.source, problems);

  const core = new Core(config, compiled.schemas, options.clock ?? Date.now);
  const inst = new Instrumentation(options.onResponse);
  const routers = buildRouters(core, config.files);
  const publicServer: Server = createEmulatorServer('public', core, routers.public, inst);
  const adminServer: Server = createEmulatorServer('admin', core, routers.admin, inst);
  const host = options.host ?? '127.0.0.1';
  let publicPort: number;
  let adminPort: number;
  try {
    publicPort = await listen(publicServer, options.port ?? 0, host);
    adminPort = await listen(adminServer, options.adminPort ?? 0, host);
  } catch (err) {
    await Promise.all([closeServer(publicServer), closeServer(adminServer)]);
    throw err;
  }
  const publicUrl = `http://${hostForUrl(host)}:${publicPort}`;
  const adminUrl = `http://${hostForUrl(host)}:${adminPort}`;
  if (options.baseUrl === undefined && !options.keepConfigBaseUrl) core.setBaseUrl(publicUrl + '/');
  core.adminUrl = adminUrl + '/';

  const cookieFor = (token: string) => {
    const s = core.store.sessionByToken(token)!;
    return `${config.session.cookie.name}=${core.encodeSessionCookie(s)}`;
  };
  let closing: Promise<void> | undefined;

  const emulator: KratosEmulator = {
    publicUrl,
    adminUrl,
    get baseUrl() {
      return core.baseUrl;
    },
    config,
    sessionCookieName: config.session.cookie.name,
    get csrfCookieName() {
      return core.csrfCookieName;
    },
    async createIdentity(opts) {
      const identity = await createIdentity(core, { ...opts });
      return renderIdentity(identity, core.baseUrl, true);
    },
    async createSession(identityId, opts = {}) {
      const identity = core.store.identities.get(identityId);
      if (!identity) throw new Error(`createSession: identity ${JSON.stringify(identityId)} does not exist. Create it first with createIdentity().`);
      const aal = opts.aal ?? 'aal1';
      if (aal !== 'aal1' && aal !== 'aal2') throw new Error(`createSession: aal ${JSON.stringify(aal)} is not aal1 or aal2.`);
      const names = opts.methods ?? (aal === 'aal2' ? ['password', identity.credentials.totp ? 'totp' : 'lookup_secret'] : ['password']);
      const methods = names.map((method) => ({ method, aal: SECOND_FACTORS.has(method) ? ('aal2' as const) : ('aal1' as const) }));
      if (aal === 'aal2' && !methods.some((m) => m.aal === 'aal2')) methods.push({ method: 'totp', aal: 'aal2' });
      const session = createSessionRecord(core, identityId, { methods, authenticatedAt: opts.authenticatedAt?.getTime() });
      return { session: renderSession(session, identity, core.baseUrl, core.now()), token: session.token, cookie: cookieFor(session.token) };
    },
    revokeSession(sessionId) {
      revokeSession(core, sessionId);
    },
    revokeSessions(identityId) {
      revokeSessionsOf(core, identityId);
    },
    expireSession(sessionId) {
      const s = core.store.sessions.get(sessionId);
      if (s) s.expiresAt = Math.min(s.expiresAt, core.now() - 1);
    },
    expireFlow(flowId) {
      const f = core.store.flows.get(flowId);
      if (f) f.expiresAt = Math.min(f.expiresAt, core.now() - 1);
    },
    messages(filter = {}) {
      return core.store.messages.filter((m) => !filter.recipient || m.recipient === filter.recipient.trim().toLowerCase() || m.recipient === filter.recipient).map(renderMessage);
    },
    lastCode(recipient) {
      const r = recipient.trim().toLowerCase();
      for (let i = core.store.messages.length - 1; i >= 0; i--) {
        const m = core.store.messages[i];
        if (m.recipient === r && m.code) return m.code;
      }
      return undefined;
    },
    totpCode(identityId) {
      const identity = core.store.identities.get(identityId);
      const secret = identity ? totpSecretOf(identity) : undefined;
      if (!secret) throw new Error(`totpCode: identity ${JSON.stringify(identityId)} has no TOTP credential.`);
      return totpCodeAt(secret, core.now());
    },
    stats() {
      return { ...inst.stats };
    },
    resetStats() {
      for (const k of Object.keys(inst.stats)) delete inst.stats[k];
    },
    fault(spec: FaultSpec) {
      if (!isPlainObject(spec)) throw new Error('fault: pass an object such as { route: "/sessions/whoami", status: 500 }.');
      const s = spec as FaultSpec;
      if (s.status !== undefined && (!Number.isInteger(s.status) || s.status < 100 || s.status > 599)) throw new Error(`fault: status ${JSON.stringify(s.status)} is not an HTTP status (100-599).`);
      if (s.times !== undefined && (!Number.isInteger(s.times) || s.times < 1)) throw new Error(`fault: times ${JSON.stringify(s.times)} is not a positive integer.`);
      if (s.delayMs !== undefined && (typeof s.delayMs !== 'number' || s.delayMs < 0)) throw new Error(`fault: delayMs ${JSON.stringify(s.delayMs)} is not a non-negative number.`);
      const entry = { ...s, remaining: s.times ?? Infinity };
      inst.faults.push(entry);
      return () => {
        const i = inst.faults.indexOf(entry);
        if (i >= 0) inst.faults.splice(i, 1);
      };
    },
    close() {
      closing ??= Promise.all([closeServer(publicServer), closeServer(adminServer)]).then(() => undefined);
      return closing;
    },
  };
  Object.defineProperty(emulator, STATE, { value: core.store, enumerable: false });
  return emulator;
}

