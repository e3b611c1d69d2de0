import type { Core } from './core';
import type { Ctx } from './ctx';
import { errCsrf, errFlowMissing, KratosError, notFound } from './errors';
import { csrfTokensMatch } from './csrf';
import { T, type UiText } from './messages';
import type { FlowKind, FlowRecord } from './model';
import { csrfNode, type UiNode } from './nodes';
import { renderFlow, renderIdentity } from './render';
import { isUuid, isoTime, uuid } from './util';

export interface NewFlowOptions {
  type: 'browser' | 'api';
  returnTo?: string;
  requestUrl?: string;
  state?: string;
  active?: string;
  nodes?: UiNode[];
  messages?: UiText[];
}

/** Creates and stores a flow with Kratos' common fields; browser flows carry a masked CSRF token. */
export function newFlow(core: Core, ctx: Ctx, kind: FlowKind, opts: NewFlowOptions, extra: Partial<FlowRecord> = {}): FlowRecord {
  const now = core.now();
  const id = uuid();
  const csrfToken = opts.type === 'browser' ? ctx.maskedCsrf() : '';
  const flow: FlowRecord = {
    id,
    kind,
    type: opts.type,
    expiresAt: now + core.config.flows[kind].lifespanMs,
    issuedAt: now,
    requestUrl: opts.requestUrl ?? ctx.requestUrl(),
    returnTo: opts.returnTo,
    state: opts.state ?? (kind === 'settings' ? 'show_form' : 'choose_method'),
    active: opts.active,
    ui: { action: core.actionUrl(kind, id), method: 'POST', nodes: [], ...(opts.messages?.length ? { messages: opts.messages } : {}) },
    csrfToken,
    createdAt: now,
    updatedAt: now,
    ...extra,
  };
  flow.ui.nodes = opts.nodes ?? [];
  core.store.flows.set(id, flow);
  return flow;
}

/** The CSRF node of a flow, placed where the caller wants it. */
export const flowCsrfNode = (flow: FlowRecord): UiNode => csrfNode(flow.csrfToken);

/** Looks a flow up by `?flow=` / `?id=`; malformed ids behave like unknown ones. */
export function findFlow(core: Core, kind: FlowKind, id: string | null): FlowRecord | undefined {
  if (!id || !isUuid(id)) return undefined;
  const flow = core.store.flows.get(id.toLowerCase());
  return flow && flow.kind === kind ? flow : undefined;
}

/** The flow of a submission (`?flow=`), or the Kratos 400/404 for a missing/unknown one. */
export function submittedFlow(core: Core, ctx: Ctx, kind: FlowKind): FlowRecord {
  const id = ctx.query.get('flow');
  if (!id || !isUuid(id)) throw errFlowMissing();
  const flow = findFlow(core, kind, id);
  if (!flow) throw notFound();
  return flow;
}

export const isExpired = (core: Core, flow: FlowRecord): boolean => flow.expiresAt <= core.now();

export function flowJson(core: Core, flow: FlowRecord): Record<string, unknown> {
  const identity = flow.identityId ? core.store.identities.get(flow.identityId) : undefined;
  return renderFlow(flow, { identity: identity ? renderIdentity(identity, core.baseUrl) : undefined });
}

/** Flow init answer: navigations go to the UI, JSON callers get the flow. */
export function answerInit(core: Core, ctx: Ctx, flow: FlowRecord): void {
  if (flow.type === 'browser' && !ctx.acceptsJson()) return ctx.redirect(303, core.uiUrl(flow.kind, flow.id));
  ctx.json(200, flowJson(core, flow));
}

/** A flow with validation messages: navigations go back to the UI (302 for registration), JSON gets 400 + flow. */
export function answerWithFlow(core: Core, ctx: Ctx, flow: FlowRecord, status = 400, navStatus: 302 | 303 = 303): void {
  flow.updatedAt = core.now();
  if (flow.type === 'browser' && !ctx.isJsonRequest()) return ctx.redirect(navStatus, core.uiUrl(flow.kind, flow.id));
  ctx.json(status, flowJson(core, flow));
}

/** Submission CSRF check (browser flows only): body `csrf_token` against the CSRF cookie. */
export function checkSubmitCsrf(ctx: Ctx, flow: FlowRecord, body: Record<string, unknown>): void {
  if (flow.type !== 'browser' || flow.skipCsrf) return;
  if (!csrfTokensMatch(ctx.requestCsrfCookie(), body.csrf_token)) throw errCsrf();
}

/** Fetch CSRF check: the token stored with the flow against the CSRF cookie. */
export function checkFetchCsrf(ctx: Ctx, flow: FlowRecord): void {
  if (flow.type !== 'browser' || flow.skipCsrf) return;
  if (!csrfTokensMatch(ctx.requestCsrfCookie(), flow.csrfToken)) throw errCsrf();
}

/** The 410 a fetch of an expired flow answers (§2.3). */
export function expiredFetchError(core: Core, flow: FlowRecord): KratosError {
  const name = flow.kind;
  const withId = flow.kind === 'login' || flow.kind === 'registration' || (flow.kind === 'recovery' && flow.type === 'api');
  const details: Record<string, unknown> = {};
  let reason: string;
  if (flow.type === 'api') {
    reason = `The ${name} flow has expired. Call the ${name} flow init API endpoint to initialize a new ${name} flow.`;
    details.api = core.publicUrl(`self-service/${name}/api`);
  } else {
    reason = `The ${name} flow has expired. Redirect the user to the ${name} flow init endpoint to initialize a new ${name} flow.`;
    details.redirect_to = core.publicUrl(`self-service/${name}/browser`, { return_to: flow.returnTo });
    details.return_to = flow.returnTo ?? '';
  }
  return new KratosError(410, { id: withId ? 'self_service_flow_expired' : undefined, reason, details });
}

/** The 410 a submission of an expired flow answers to JSON callers (§6.3). */
export function expiredSubmitError(core: Core, expired: FlowRecord, replacement: FlowRecord): KratosError {
  const sinceMs = core.now() - expired.expiresAt;
  return new KratosError(
    410,
    { id: 'self_service_flow_expired', reason: `The self-service flow expired ${(sinceMs / 60_000).toFixed(2)} minutes ago, initialize a new one.`, message: 'self-service flow expired' },
    { expired_at: isoTime(expired.expiresAt), since: Math.round(sinceMs * 1e6), use_flow_id: replacement.id },
  );
}

/** Go strconv.ParseBool truthiness for query flags. */
export const queryBool = (v: string | null): boolean => v !== null && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v);

/**
 * Where a successful flow sends the browser: the flow's return_to, else
 * `after.<method>.default_browser_return_url`, else `after.default_browser_return_url`, else the global default.
 */
export function afterReturnUrl(core: Core, flow: FlowRecord, method: string | undefined, fallback?: string): string {
  if (flow.returnTo) return core.returnTo.check(flow.returnTo);
  const kind = flow.kind;
  const after = core.config.flows[kind].after;
  return (method ? after.methods[method]?.defaultBrowserReturnUrl : undefined) ?? after.defaultBrowserReturnUrl ?? fallback ?? core.config.defaultBrowserReturnUrl;
}

/** `return_to` of the request, validated; throws the Kratos 400 for a forbidden one. */
export function requestReturnTo(core: Core, ctx: Ctx): string | undefined {
  return core.returnTo.optional(ctx.query.get('return_to'));
}

/**
 * Errors raised inside a submission: 400-class problems become a 4000001 message on the flow (§5.3),
 * everything else is forwarded (JSON, or the error UI for navigations).
 */
export function submitError(core: Core, ctx: Ctx, flow: FlowRecord | undefined, err: unknown): void {
  if (!(err instanceof KratosError)) throw err;
  if (flow && err.status === 400 && !err.error.id) {
    flow.ui.messages = [...(flow.ui.messages ?? []), T.generic(String(err.error.reason ?? err.error.message))];
    return answerWithFlow(core, ctx, flow, 400, flow.kind === 'registration' ? 302 : 303);
  }
  core.forward(ctx, err, flow?.type === 'api' || ctx.isJsonRequest());
}
