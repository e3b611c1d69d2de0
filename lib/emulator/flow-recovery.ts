import type { Core } from './core';
import type { Ctx } from './ctx';
import { errAlreadyLoggedIn, errBrowserLocationChange, KratosError } from './errors';
import { answerWithFlow, checkSubmitCsrf, flowCsrfNode, flowJson, isExpired, newFlow, requestReturnTo, submitError, submittedFlow } from './flow-common';
import { createSettingsFlow } from './flow-settings';
import { T, type UiText } from './messages';
import type { FlowRecord, IdentityRecord } from './model';
import { addNodeMessage, input, submit, type UiNode } from './nodes';
import { authenticate } from './sessions';
import { randomDigits } from './util';

const disabled = () => new KratosError(400, { reason: 'Recovery is not allowed because it was disabled.' });
const ALREADY = 'A valid session was detected and thus recovery is not possible.';
const MAX_ATTEMPTS = 5;

function chooseNodes(flow: FlowRecord): UiNode[] {
  return [flowCsrfNode(flow), input('code', 'email', 'email', { required: true }, T.email()), submit('code', 'method', 'code', T.continue())];
}

function sentNodes(flow: FlowRecord, address?: string): UiNode[] {
  return [
    flowCsrfNode(flow),
    input('code', 'code', 'text', { required: true, autocomplete: 'one-time-code', pattern: '[0-9]+', maxlength: 6 }, T.recoveryCode()),
    input('code', 'method', 'hidden', { value: 'code' }),
    submit('code', 'method', 'code', T.continue()),
    ...(address ? [submit('code', 'email', address, T.resendCode())] : []),
  ];
}

export function createRecoveryFlow(core: Core, ctx: Ctx, type: 'browser' | 'api', returnTo?: string, requestUrl?: string): FlowRecord {
  const flow = newFlow(core, ctx, 'recovery', { type, returnTo, requestUrl, active: 'code' });
  flow.ui.nodes = chooseNodes(flow);
  return flow;
}

/** A recovery flow waiting for a code, for POST /admin/recovery/code (no e-mail sent, no CSRF check). */
export function createAdminRecoveryCode(core: Core, ctx: Ctx, identity: IdentityRecord, expiresInMs: number): { flow: FlowRecord; code: string } {
  const flow = createRecoveryFlow(core, ctx, 'api');
  flow.type = 'browser';
  flow.skipCsrf = true;
  flow.expiresAt = core.now() + expiresInMs;
  flow.state = 'sent_email';
  flow.ui.nodes = sentNodes(flow);
  const code = randomDigits(6);
  flow.code = { value: code, address: identity.recoveryAddresses[0]?.value ?? '', identityId: identity.id, expiresAt: flow.expiresAt, attempts: 0 };
  return { flow, code };
}

/** GET /self-service/recovery/{browser,api} */
export function initRecovery(core: Core, ctx: Ctx, type: 'browser' | 'api'): void {
  const json = type === 'api' || ctx.acceptsJson();
  try {
    if (!core.config.flows.recovery.enabled) throw disabled();
    const returnTo = requestReturnTo(core, ctx);
    const session = type === 'api' ? undefined : core.sessionOf(ctx);
    if (session) {
      if (json) throw errAlreadyLoggedIn(ALREADY, 'The request was malformed or contained invalid parameters');
      return ctx.redirect(302, returnTo ?? core.config.defaultBrowserReturnUrl);
    }
    const flow = createRecoveryFlow(core, ctx, type, returnTo);
    if (json) return ctx.json(200, flowJson(core, flow));
    ctx.redirect(303, core.uiUrl('recovery', flow.id));
  } catch (err) {
    if (err instanceof KratosError) return core.forward(ctx, err, json);
    throw err;
  }
}

function replace(core: Core, ctx: Ctx, flow: FlowRecord, message: UiText): void {
  ctx.regenerateCsrf();
  const next = createRecoveryFlow(core, ctx, flow.type, flow.returnTo, flow.requestUrl);
  next.ui.messages = [message];
  if (flow.type === 'api' || ctx.isJsonRequest()) return ctx.redirect(303, core.publicUrl('self-service/recovery/flows', { id: next.id }));
  ctx.redirect(303, core.uiUrl('recovery', next.id));
}

function sendCode(core: Core, flow: FlowRecord, address: string): void {
  const value = address.trim().toLowerCase();
  const owner = core.store.findByAddress('recovery', value);
  const code = randomDigits(6);
  flow.code = { value: code, address: value, identityId: owner?.id, expiresAt: core.now() + core.config.methods.code.lifespanMs, attempts: 0 };
  if (owner) {
    core.sendMail(value, 'recovery_code_valid', 'Recover access to your account', `Hi,\n\nplease recover access to your account by entering the following code:\n\n${code}\n`, code);
  } else if (core.config.flows.recovery.notifyUnknownRecipients) {
    core.sendMail(value, 'recovery_code_invalid', 'Account access attempted', `Hi,\n\nyou (or someone else) entered this email address when trying to recover access to an account.\n\nHowever, this email address is not on our database of registered users and therefore the attempt has failed.\n`);
  }
}

function useCode(core: Core, ctx: Ctx, flow: FlowRecord, code: string): void {
  const c = flow.code;
  const identity = c?.identityId ? core.store.identities.get(c.identityId) : undefined;
  if (c) c.attempts++;
  if (c && c.attempts > MAX_ATTEMPTS) return replace(core, ctx, flow, T.generic('The request was submitted too often. Please request another code.'));
  if (!c || !identity || c.value !== code.trim() || c.expiresAt <= core.now()) {
    flow.ui.messages = [T.recoveryCodeInvalid()];
    if (flow.type === 'browser' && !ctx.isJsonRequest()) return ctx.redirect(303, core.uiUrl('recovery', flow.id));
    return ctx.json(200, flowJson(core, flow));
  }
  if (identity.state !== 'active') throw new KratosError(401, { reason: 'This account was disabled.', message: 'identity is disabled' });
  const now = core.now();
  const addr = identity.verifiableAddresses.find((a) => a.value === c.address);
  if (addr && !addr.verified) Object.assign(addr, { verified: true, status: 'completed', verifiedAt: now, updatedAt: now });
  flow.code = undefined;
  flow.state = 'passed_challenge';
  ctx.regenerateCsrf();
  const { session } = authenticate(core, ctx, identity.id, 'code_recovery', 'aal1');
  if (flow.type === 'browser') core.issueSessionCookie(ctx, session);
  const settings = createSettingsFlow(core, ctx, flow.type, identity, flow.returnTo);
  settings.ui.messages = [T.recoverySuccessful(session.authenticatedAt + core.config.flows.settings.privilegedSessionMaxAgeMs, now)];
  const settingsUrl = core.uiUrl('settings', settings.id);
  if (flow.type === 'browser' && !ctx.isJsonRequest()) return ctx.redirect(303, settingsUrl);
  if (core.config.featureFlags.useContinueWithTransitions || flow.type === 'api') {
    flow.continueWith = [
      ...(flow.type === 'api' ? [{ action: 'set_ory_session_token', ory_session_token: session.token }] : []),
      { action: 'show_settings_ui', flow: { id: settings.id, ...(flow.type === 'browser' ? { url: settingsUrl } : {}) } },
    ];
    return ctx.json(200, flowJson(core, flow));
  }
  ctx.error(errBrowserLocationChange(settingsUrl));
}

/** POST /self-service/recovery?flow= and the GET link callback. */
export async function submitRecovery(core: Core, ctx: Ctx): Promise<void> {
  let flow: FlowRecord | undefined;
  try {
    if (!core.config.flows.recovery.enabled) throw disabled();
    flow = submittedFlow(core, ctx, 'recovery');
    if (ctx.method === 'GET') return ctx.redirect(303, core.uiUrl('recovery', flow.id));
    const { body } = await ctx.body();
    if (isExpired(core, flow)) return replace(core, ctx, flow, T.recoveryExpired(flow.expiresAt, core.now()));
    if (flow.state === 'passed_challenge') return replace(core, ctx, flow, T.recoveryRetrySuccess());
    if (body.method !== undefined && body.method !== 'code') throw new KratosError(400, { reason: `Recovery method ${JSON.stringify(body.method)} is not supported.` });
    const code = typeof body.code === 'string' ? body.code : '';
    const email = typeof body.email === 'string' ? body.email.trim() : '';
    if (code && !email) {
      checkSubmitCsrf(ctx, flow, body);
      return useCode(core, ctx, flow, code);
    }
    if (flow.type === 'browser' && core.sessionOf(ctx)) {
      if (ctx.isJsonRequest()) throw errAlreadyLoggedIn(ALREADY, 'The request was malformed or contained invalid parameters');
      return ctx.redirect(302, flow.returnTo ?? core.config.defaultBrowserReturnUrl);
    }
    if (!email) {
      flow.ui.messages = undefined;
      addNodeMessage(flow.ui.nodes, 'email', T.required('email'));
      return answerWithFlow(core, ctx, flow);
    }
    checkSubmitCsrf(ctx, flow, body);
    flow.state = 'sent_email';
    flow.ui.nodes = sentNodes(flow, email.toLowerCase());
    flow.ui.messages = [T.recoveryCodeSent()];
    sendCode(core, flow, email);
    if (flow.type === 'browser' && !ctx.isJsonRequest()) return ctx.redirect(303, core.uiUrl('recovery', flow.id));
    ctx.json(200, flowJson(core, flow));
  } catch (err) {
    submitError(core, ctx, flow, err);
  }
}
