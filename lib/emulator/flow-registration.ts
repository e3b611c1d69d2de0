import type { Core } from './core';
import type { Ctx } from './ctx';
import { errAlreadyLoggedIn, KratosError } from './errors';
import {
  afterReturnUrl,
  answerWithFlow,
  checkSubmitCsrf,
  expiredSubmitError,
  flowCsrfNode,
  flowJson,
  isExpired,
  newFlow,
  requestReturnTo,
  submitError,
  submittedFlow,
} from './flow-common';
import { startVerificationAfterRegistration } from './flow-verification';
import { conflictingIdentity, createIdentity, passwordPolicy } from './identities';
import { T } from './messages';
import type { FlowRecord } from './model';
import { addNodeMessage, addUiMessage, clearMessages, input, submit, type UiNode } from './nodes';
import { renderIdentity, renderSession } from './render';
import { authenticate } from './sessions';
import { getPath, isPlainObject } from './util';

const ALREADY = 'A valid session was detected and thus registration is not possible.';

const twoStep = (core: Core): boolean => !core.config.flows.registration.legacyOneStep && core.config.methods.profile.enabled;

function leafEntries(obj: unknown, prefix = ''): [string, unknown][] {
  if (!isPlainObject(obj)) return [];
  return Object.entries(obj).flatMap(([k, v]) => (isPlainObject(v) ? leafEntries(v, `${prefix}${k}.`) : [[`${prefix}${k}`, v] as [string, unknown]]));
}

/** Step one of the two-step registration (or the single legacy form), with any traits already entered. */
export function registrationFormNodes(core: Core, flow: FlowRecord, traits?: Record<string, unknown>): UiNode[] {
  const schema = core.defaultSchema;
  if (twoStep(core)) {
    return [...schema.traitNodes('default', traits), flowCsrfNode(flow), submit('profile', 'method', 'profile', T.signUp())];
  }
  const [first, ...rest] = schema.traitNodes('password', traits);
  return [
    flowCsrfNode(flow),
    ...(first ? [first] : []),
    input('password', 'password', 'password', { required: true, autocomplete: 'new-password' }, T.password()),
    ...rest,
    submit('password', 'method', 'password', T.signUp()),
  ];
}

function stepTwoNodes(flow: FlowRecord, traits: Record<string, unknown>): UiNode[] {
  return [
    input('password', 'password', 'password', { required: true, autocomplete: 'new-password' }, T.password()),
    submit('password', 'method', 'password', T.signUp()),
    submit('profile', 'screen', 'previous', T.back()),
    ...leafEntries(traits).map(([name, value]) => input('default', `traits.${name}`, 'hidden', { value })),
    flowCsrfNode(flow),
  ];
}

export function createRegistrationFlow(core: Core, ctx: Ctx, type: 'browser' | 'api', returnTo?: string, requestUrl?: string): FlowRecord {
  const flow = newFlow(core, ctx, 'registration', { type, returnTo, requestUrl });
  flow.ui.nodes = registrationFormNodes(core, flow);
  return flow;
}

const disabledError = () => new KratosError(400, { id: 'self_service_flow_disabled', reason: 'Registration is not allowed because it was disabled.', message: 'registration flow disabled' });

/** GET /self-service/registration/{browser,api} */
export function initRegistration(core: Core, ctx: Ctx, type: 'browser' | 'api'): void {
  const json = type === 'api' || ctx.acceptsJson();
  try {
    const returnTo = requestReturnTo(core, ctx);
    if (!core.config.flows.registration.enabled) throw disabledError();
    const session = type === 'api' ? undefined : core.sessionOf(ctx);
    const flow = createRegistrationFlow(core, ctx, type, returnTo);
    if (session) {
      if (json) throw errAlreadyLoggedIn(ALREADY);
      return ctx.redirect(303, returnTo ?? core.config.defaultBrowserReturnUrl);
    }
    if (json) return ctx.json(200, flowJson(core, flow));
    ctx.redirect(303, core.uiUrl('registration', flow.id));
  } catch (err) {
    if (err instanceof KratosError) return core.forward(ctx, err, json);
    throw err;
  }
}

function validateTraits(core: Core, flow: FlowRecord, traits: Record<string, unknown>): boolean {
  const errors = core.defaultSchema.validate(traits);
  for (const e of errors) {
    if (!e.name || !addNodeMessage(flow.ui.nodes, e.name, e.message)) addUiMessage(flow.ui, e.message);
  }
  return errors.length === 0;
}

function hooksFor(core: Core, method: string): string[] {
  const after = core.config.flows.registration.after;
  return after.methods[method]?.hooks.length ? after.methods[method].hooks : after.hooks;
}

async function completeWithPassword(core: Core, ctx: Ctx, flow: FlowRecord, body: Record<string, unknown>, fromForm: boolean): Promise<void> {
  const schema = core.defaultSchema;
  const traits = isPlainObject(body.traits) ? schema.coerce(body.traits, fromForm) : (flow.pendingTraits ?? {});
  const password = typeof body.password === 'string' ? body.password : '';
  if (!twoStep(core)) flow.ui.nodes = registrationFormNodes(core, flow, traits);
  let ok = validateTraits(core, flow, traits);
  if (!password) {
    addNodeMessage(flow.ui.nodes, 'password', T.required('password'));
    ok = false;
  }
  if (!ok) return answerWithFlow(core, ctx, flow, 400, 302);
  checkSubmitCsrf(ctx, flow, body);
  const identifiers = schema.identifiers(traits, 'password');
  const policy = passwordPolicy(core, identifiers, password);
  if (policy) {
    addNodeMessage(flow.ui.nodes, 'password', policy);
    return answerWithFlow(core, ctx, flow, 400, 302);
  }
  const existing = conflictingIdentity(core, identifiers);
  if (existing) {
    addUiMessage(flow.ui, T.duplicateWithHints(identifiers[0] ?? '', existing.credentials.password ? ['password'] : []));
    return answerWithFlow(core, ctx, flow, 400, 302);
  }
  const identity = await createIdentity(core, { traits, password });
  flow.state = 'passed_challenge';
  const hooks = hooksFor(core, 'password');
  const continueWith: Record<string, unknown>[] = [];
  let session;
  if (hooks.includes('session')) {
    session = authenticate(core, ctx, identity.id, 'password', 'aal1').session;
    if (flow.type === 'api') continueWith.push({ action: 'set_ory_session_token', ory_session_token: session.token });
    else {
      ctx.regenerateCsrf();
      core.issueSessionCookie(ctx, session);
    }
  }
  const verificationFlows = core.config.flows.verification.enabled ? startVerificationAfterRegistration(core, ctx, identity, flow) : [];
  for (const v of verificationFlows) {
    continueWith.push({ action: 'show_verification_ui', flow: { id: v.flow.id, verifiable_address: v.address, ...(flow.type === 'browser' ? { url: core.uiUrl('verification', v.flow.id) } : {}) } });
  }
  const returnUrl = afterReturnUrl(core, flow, 'password');
  if (flow.type === 'browser' && !ctx.isJsonRequest()) {
    if (hooks.includes('show_verification_ui') && verificationFlows.length > 0 && ctx.isBrowserRequest()) {
      return ctx.redirect(303, core.uiUrl('verification', verificationFlows[0].flow.id));
    }
    return ctx.redirect(303, returnUrl);
  }
  if (flow.type === 'browser') continueWith.push({ action: 'redirect_browser_to', redirect_browser_to: returnUrl });
  ctx.json(200, {
    ...(session && flow.type === 'api' ? { session_token: session.token } : {}),
    ...(session ? { session: renderSession(session, identity, core.baseUrl, core.now()) } : {}),
    identity: renderIdentity(identity, core.baseUrl),
    continue_with: continueWith.length > 0 ? continueWith : null,
  });
}

/** POST (and GET) /self-service/registration?flow= */
export async function submitRegistration(core: Core, ctx: Ctx): Promise<void> {
  let flow: FlowRecord | undefined;
  try {
    flow = submittedFlow(core, ctx, 'registration');
    if (!core.config.flows.registration.enabled) throw disabledError();
    const { body, json: jsonBody } = await ctx.body();
    if (isExpired(core, flow)) {
      const replacement = createRegistrationFlow(core, ctx, flow.type, flow.returnTo, flow.requestUrl);
      replacement.ui.messages = [T.flowExpired('registration', flow.expiresAt, core.now())];
      if (flow.type === 'browser' && !ctx.isJsonRequest()) return ctx.redirect(303, core.uiUrl('registration', replacement.id));
      return ctx.error(expiredSubmitError(core, flow, replacement));
    }
    const session = flow.type === 'browser' ? core.sessionOf(ctx) : undefined;
    if (session) return ctx.redirect(303, core.config.defaultBrowserReturnUrl);
    clearMessages(flow.ui);
    if (flow.state === 'passed_challenge') {
      addUiMessage(flow.ui, { id: 4040002, text: 'The request was already completed successfully and can not be retried.', type: 'error' });
      return answerWithFlow(core, ctx, flow, 400, 302);
    }
    const schema = core.defaultSchema;
    const method = body.method;
    if (twoStep(core) && (body.screen === 'previous' || method === 'profile:back')) {
      checkSubmitCsrf(ctx, flow, body);
      flow.ui.nodes = registrationFormNodes(core, flow, flow.pendingTraits);
      return answerWithFlow(core, ctx, flow);
    }
    if (twoStep(core) && method === 'profile') {
      const traits = schema.coerce(body.traits, !jsonBody);
      flow.ui.nodes = registrationFormNodes(core, flow, traits);
      if (!validateTraits(core, flow, traits)) return answerWithFlow(core, ctx, flow, 400, 302);
      checkSubmitCsrf(ctx, flow, body);
      flow.pendingTraits = traits;
      flow.ui.nodes = stepTwoNodes(flow, traits);
      flow.ui.messages = [T.chooseCredential()];
      return answerWithFlow(core, ctx, flow);
    }
    if (method === 'password' && core.config.methods.password.enabled) return await completeWithPassword(core, ctx, flow, body, !jsonBody);
    if (getPath(body, 'traits') !== undefined && !twoStep(core)) flow.ui.nodes = registrationFormNodes(core, flow, schema.coerce(body.traits, !jsonBody));
    addUiMessage(flow.ui, { id: 4010003, text: 'Could not find a strategy to sign you up with. Did you fill out the form correctly?', type: 'error' });
    answerWithFlow(core, ctx, flow, 400, 302);
  } catch (err) {
    submitError(core, ctx, flow, err);
  }
}
