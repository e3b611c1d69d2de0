import type { Core } from './core';
import type { Ctx } from './ctx';
import { KratosError } from './errors';
import { answerWithFlow, checkSubmitCsrf, flowCsrfNode, flowJson, isExpired, newFlow, requestReturnTo, submitError, submittedFlow, afterReturnUrl } from './flow-common';
import { T } from './messages';
import type { FlowRecord, IdentityRecord } from './model';
import { addNodeMessage, anchorNode, input, submit, type UiNode } from './nodes';
import { randomDigits } from './util';

const disabled = () => new KratosError(400, { reason: 'Verification is not allowed because it was disabled.' });

function chooseNodes(flow: FlowRecord): UiNode[] {
  return [input('code', 'email', 'email', { required: true }, T.email()), submit('code', 'method', 'code', T.continue()), flowCsrfNode(flow)];
}

function sentNodes(flow: FlowRecord, address: string): UiNode[] {
  return [
    input('code', 'method', 'hidden', { value: 'code' }),
    input('code', 'code', 'text', { required: true, autocomplete: 'one-time-code' }, T.verificationCode()),
    submit('code', 'method', 'code', T.continue()),
    flowCsrfNode(flow),
    submit('code', 'email', address, T.resendCode()),
  ];
}

export function createVerificationFlow(core: Core, ctx: Ctx, type: 'browser' | 'api', returnTo?: string, requestUrl?: string): FlowRecord {
  const flow = newFlow(core, ctx, 'verification', { type, returnTo, requestUrl, active: 'code' });
  flow.ui.nodes = chooseNodes(flow);
  return flow;
}

/** Mails a fresh 6-digit code for the flow to `address` when it is a known verifiable address. */
function sendCode(core: Core, flow: FlowRecord, address: string): void {
  const value = address.trim().toLowerCase();
  const owner = core.store.findByAddress('verifiable', value);
  const code = randomDigits(6);
  flow.code = { value: code, address: value, identityId: owner?.id, expiresAt: core.now() + core.config.methods.code.lifespanMs, attempts: 0 };
  if (!owner) return;
  const link = core.publicUrl('self-service/verification', { code, flow: flow.id });
  core.sendMail(value, 'verification_code_valid', 'Please verify your email address', `Hi,\n\nplease verify your account by entering the following code:\n\n${code}\n\nor clicking the following link:\n\n${link}\n`, code);
  const addr = owner.verifiableAddresses.find((a) => a.value === value);
  if (addr && addr.status === 'pending') {
    addr.status = 'sent';
    addr.updatedAt = core.now();
  }
}

function toSent(core: Core, flow: FlowRecord, address: string): void {
  flow.state = 'sent_email';
  flow.ui.nodes = sentNodes(flow, address);
  flow.ui.messages = [T.verificationCodeSent()];
  sendCode(core, flow, address);
}

/** The verification flows (one per unverified address) the registration creates, codes already mailed. */
export function startVerificationAfterRegistration(core: Core, ctx: Ctx, identity: IdentityRecord, registration: FlowRecord): { flow: FlowRecord; address: string }[] {
  return identity.verifiableAddresses
    .filter((a) => !a.verified && a.via === 'email')
    .map((a) => {
      const flow = createVerificationFlow(core, ctx, registration.type, registration.returnTo, registration.requestUrl);
      toSent(core, flow, a.value);
      return { flow, address: a.value };
    });
}

/** GET /self-service/verification/{browser,api} */
export function initVerification(core: Core, ctx: Ctx, type: 'browser' | 'api'): void {
  const json = type === 'api' || ctx.acceptsJson();
  try {
    if (!core.config.flows.verification.enabled) throw disabled();
    const returnTo = requestReturnTo(core, ctx);
    const flow = createVerificationFlow(core, ctx, type, returnTo);
    if (json) return ctx.json(200, flowJson(core, flow));
    ctx.redirect(303, core.uiUrl('verification', flow.id));
  } catch (err) {
    if (err instanceof KratosError) return core.forward(ctx, err, json);
    throw err;
  }
}

function replace(core: Core, ctx: Ctx, flow: FlowRecord, message: ReturnType<typeof T.verificationExpired>, replacedError: boolean): void {
  ctx.regenerateCsrf();
  const next = createVerificationFlow(core, ctx, flow.type, flow.returnTo, flow.requestUrl);
  next.ui.messages = [message];
  if (replacedError && (flow.type === 'api' || ctx.isJsonRequest())) {
    return ctx.error(new KratosError(410, { id: 'self_service_flow_replaced', reason: message.text, message: 'self-service flow replaced' }, { use_flow_id: next.id }));
  }
  if (flow.type === 'api' || ctx.isJsonRequest()) return ctx.redirect(303, core.publicUrl('self-service/verification/flows', { id: next.id }));
  ctx.redirect(303, core.uiUrl('verification', next.id));
}

function useCode(core: Core, ctx: Ctx, flow: FlowRecord, code: string): void {
  const c = flow.code;
  const identity = c?.identityId ? core.store.identities.get(c.identityId) : undefined;
  if (!c || !identity || c.value !== code.trim() || c.expiresAt <= core.now()) {
    flow.ui.messages = [T.verificationCodeInvalid()];
    if (flow.type === 'browser' && !ctx.isJsonRequest()) return ctx.redirect(303, core.uiUrl('verification', flow.id));
    return ctx.json(200, flowJson(core, flow));
  }
  const now = core.now();
  const addr = identity.verifiableAddresses.find((a) => a.value === c.address);
  if (addr) Object.assign(addr, { verified: true, status: 'completed', verifiedAt: now, updatedAt: now });
  identity.updatedAt = now;
  flow.code = undefined;
  flow.state = 'passed_challenge';
  const continueUrl = afterReturnUrl(core, flow, undefined);
  flow.ui = { action: continueUrl, method: 'GET', nodes: [anchorNode('code', 'continue', continueUrl, T.continue())], messages: [T.verified()] };
  if (ctx.isBrowserRequest()) return ctx.redirect(303, core.uiUrl('verification', flow.id));
  ctx.json(200, flowJson(core, flow));
}

/** POST /self-service/verification?flow= and the GET link callback. */
export async function submitVerification(core: Core, ctx: Ctx): Promise<void> {
  let flow: FlowRecord | undefined;
  try {
    if (!core.config.flows.verification.enabled) throw disabled();
    flow = submittedFlow(core, ctx, 'verification');
    if (ctx.method === 'GET') {
      const code = ctx.query.get('code');
      if (code && flow.state === 'sent_email') {
        const node = flow.ui.nodes.find((n) => n.attributes.name === 'code');
        if (node) node.attributes.value = code;
      }
      ctx.regenerateCsrf();
      flow.csrfToken = ctx.maskedCsrf();
      const csrf = flow.ui.nodes.find((n) => n.attributes.name === 'csrf_token');
      if (csrf) csrf.attributes.value = flow.csrfToken;
      return ctx.redirect(303, core.uiUrl('verification', flow.id));
    }
    const { body } = await ctx.body();
    if (isExpired(core, flow)) return replace(core, ctx, flow, T.verificationExpired(flow.expiresAt, core.now()), false);
    if (flow.state === 'passed_challenge') return replace(core, ctx, flow, T.verificationRetrySuccess(), true);
    const code = typeof body.code === 'string' ? body.code : '';
    const email = typeof body.email === 'string' ? body.email.trim() : '';
    if (code && !email) return useCode(core, ctx, flow, code);
    if (body.method !== undefined && body.method !== 'code') throw new KratosError(400, { reason: `Verification method ${JSON.stringify(body.method)} is not supported.` });
    if (!email) {
      flow.ui.messages = undefined;
      addNodeMessage(flow.ui.nodes, 'email', T.required('email'));
      return answerWithFlow(core, ctx, flow);
    }
    checkSubmitCsrf(ctx, flow, body);
    toSent(core, flow, email);
    if (flow.type === 'browser' && !ctx.isJsonRequest()) return ctx.redirect(303, core.uiUrl('verification', flow.id));
    ctx.json(200, flowJson(core, flow));
  } catch (err) {
    submitError(core, ctx, flow, err);
  }
}
