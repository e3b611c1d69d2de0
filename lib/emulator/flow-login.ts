import type { Aal } from './config-types';
import type { Core } from './core';
import type { Ctx } from './ctx';
import { errAal1Required, errAlreadyLoggedIn, errBrowserLocationChange, KratosError } from './errors';
import { totpValid } from './factors';
import {
  afterReturnUrl,
  answerInit,
  answerWithFlow,
  checkSubmitCsrf,
  expiredSubmitError,
  flowCsrfNode,
  flowJson,
  isExpired,
  newFlow,
  queryBool,
  requestReturnTo,
  submitError,
  submittedFlow,
} from './flow-common';
import { totpSecretOf } from './identities';
import { T } from './messages';
import type { FlowRecord, IdentityRecord, SessionRecord } from './model';
import { addNodeMessage, addUiMessage, clearMessages, input, setNodeValue, submit, type UiNode } from './nodes';
import { verifyPassword } from './password';
import { renderSession, sessionAal } from './render';
import { authenticate } from './sessions';
import { isoTime } from './util';

const ALREADY = 'A valid session was detected and thus login is not possible. Did you forget to set `?refresh=true`?';

function parseAal(raw: string | null): Aal {
  if (!raw) return 'aal1';
  const v = raw.toLowerCase();
  if (v === 'aal1' || v === 'aal2') return v;
  throw new KratosError(400, { reason: `Unable to parse AuthenticationMethod Assurance Level (AAL): expected one of [aal1, aal2] but got ${raw}` });
}

function identifierLabel(core: Core) {
  const fields = core.defaultSchema.identifierFields('password');
  const title = fields.length === 1 ? fields[0].schema.title : undefined;
  return typeof title === 'string' ? T.schemaTitle(title) : T.id();
}

/** Nodes of a login flow (§7.1, §7.6, §6.2). */
export function loginNodes(core: Core, flow: FlowRecord, identity?: IdentityRecord): UiNode[] {
  const nodes: UiNode[] = [flowCsrfNode(flow)];
  const m = core.config.methods;
  if (flow.requestedAal === 'aal2') {
    if (m.totp.enabled && identity?.credentials.totp) {
      nodes.push(input('totp', 'totp_code', 'text', { value: '', required: true }, T.totpLabel()), submit('totp', 'method', 'totp', T.useTotp()));
    }
    const codes = identity?.credentials.lookup_secret?.config.recovery_codes;
    if (m.lookupSecret.enabled && Array.isArray(codes) && codes.length > 0) {
      nodes.push(input('lookup_secret', 'lookup_secret', 'text', { value: '', required: true }, T.lookupLabel()), submit('lookup_secret', 'method', 'lookup_secret', T.useLookup()));
    }
    return nodes;
  }
  if (!m.password.enabled) return nodes;
  if (flow.refresh && identity) {
    if (!identity.credentials.password) return nodes;
    nodes.push(
      input('default', 'identifier', 'hidden', { value: identity.credentials.password.identifiers[0] ?? '' }),
      input('password', 'password', 'password', { required: true, autocomplete: 'current-password' }, T.password()),
      submit('password', 'method', 'password', T.signIn()),
    );
    return nodes;
  }
  nodes.push(
    input('default', 'identifier', 'text', { value: '', required: true }, identifierLabel(core)),
    input('password', 'password', 'password', { required: true, autocomplete: 'current-password' }, T.password()),
    submit('password', 'method', 'password', T.signInWithPassword()),
  );
  return nodes;
}

export interface LoginFlowOptions {
  type: 'browser' | 'api';
  returnTo?: string;
  refresh: boolean;
  aal: Aal;
  session?: SessionRecord;
  requestUrl?: string;
}

export function createLoginFlow(core: Core, ctx: Ctx, o: LoginFlowOptions): FlowRecord {
  const identity = o.session ? core.identityOf(o.session) : undefined;
  const refresh = o.refresh && o.session !== undefined;
  const messages = [...(refresh ? [T.reAuth()] : []), ...(o.aal === 'aal2' ? [T.mfa()] : [])];
  const flow = newFlow(core, ctx, 'login', { type: o.type, returnTo: o.returnTo, requestUrl: o.requestUrl, messages }, { refresh, requestedAal: o.aal });
  flow.ui.nodes = loginNodes(core, flow, identity);
  return flow;
}

/** GET /self-service/login/{browser,api} */
export function initLogin(core: Core, ctx: Ctx, type: 'browser' | 'api'): void {
  const json = type === 'api' || ctx.acceptsJson();
  try {
    const returnTo = requestReturnTo(core, ctx);
    const aal = parseAal(ctx.query.get('aal'));
    if (ctx.query.get('login_challenge') === '') throw new KratosError(400, { reason: 'the login_challenge parameter is present but empty' });
    if (ctx.query.get('login_challenge')) throw new KratosError(500, { reason: 'refusing to parse login_challenge query parameter because oauth2_provider.url is not configured' });
    const session = type === 'api' ? sessionFromToken(core, ctx) : core.sessionOf(ctx);
    const refresh = queryBool(ctx.query.get('refresh'));
    if (aal === 'aal2' && !session) throw errAal1Required();
    if (session && !refresh && (aal === 'aal1' || sessionAal(session) === 'aal2')) {
      if (json) throw errAlreadyLoggedIn(ALREADY);
      return ctx.redirect(303, returnTo ?? core.config.defaultBrowserReturnUrl);
    }
    const flow = createLoginFlow(core, ctx, { type, returnTo, refresh, aal, session });
    if (json) return ctx.json(200, flowJson(core, flow));
    answerInit(core, ctx, flow);
  } catch (err) {
    if (err instanceof KratosError) return core.forward(ctx, err, json);
    throw err;
  }
}

function sessionFromToken(core: Core, ctx: Ctx): SessionRecord | undefined {
  const token = core.requestToken(ctx, false);
  const s = token ? core.store.sessionByToken(token) : undefined;
  return s && core.isActive(s) ? s : undefined;
}

function loginReplacement(core: Core, ctx: Ctx, flow: FlowRecord): void {
  const replacement = createLoginFlow(core, ctx, {
    type: flow.type,
    returnTo: flow.returnTo,
    refresh: flow.refresh ?? false,
    aal: flow.requestedAal ?? 'aal1',
    session: core.sessionOf(ctx),
    requestUrl: flow.requestUrl,
  });
  replacement.ui.messages = [T.flowExpired('login', flow.expiresAt, core.now())];
  if (flow.type === 'browser' && !ctx.isJsonRequest()) return ctx.redirect(303, core.uiUrl('login', replacement.id));
  ctx.error(expiredSubmitError(core, flow, replacement));
}

/** Finishes a login: session (same id on refresh/upgrade), cookie, then the aal2 step or the return URL. */
function succeed(core: Core, ctx: Ctx, flow: FlowRecord, identity: IdentityRecord, method: string, aal: Aal): void {
  const { session, fresh } = authenticate(core, ctx, identity.id, method, aal);
  flow.active = method;
  flow.state = 'passed_challenge';
  flow.updatedAt = core.now();
  if (flow.type === 'api') {
    return ctx.json(200, {
      session_token: session.token,
      session: renderSession(session, identity, core.baseUrl, core.now()),
      continue_with: [{ action: 'set_ory_session_token', ory_session_token: session.token }],
    });
  }
  if (fresh) ctx.regenerateCsrf();
  core.issueSessionCookie(ctx, session);
  if (core.config.session.whoamiRequiredAal === 'highest_available' && sessionAal(session) === 'aal1' && core.availableAal(identity) === 'aal2') {
    const original = new URL(flow.requestUrl);
    const url = core.publicUrl('self-service/login/browser', {
      aal: 'aal2',
      return_to: original.searchParams.get('return_to') || undefined,
      login_challenge: original.searchParams.get('login_challenge') || undefined,
    });
    if (ctx.isJsonRequest()) return ctx.error(errBrowserLocationChange(url));
    return ctx.redirect(303, url);
  }
  const returnUrl = afterReturnUrl(core, flow, method);
  if (!ctx.acceptsJson() && !ctx.isJsonRequest()) return ctx.redirect(303, returnUrl);
  ctx.json(200, { session: renderSession(session, identity, core.baseUrl, core.now()), continue_with: [{ action: 'redirect_browser_to', redirect_browser_to: returnUrl }] });
}

async function passwordLogin(core: Core, ctx: Ctx, flow: FlowRecord, body: Record<string, unknown>): Promise<void> {
  const identifier = typeof body.identifier === 'string' ? body.identifier : typeof body.password_identifier === 'string' ? body.password_identifier : '';
  const password = typeof body.password === 'string' ? body.password : '';
  setNodeValue(flow.ui.nodes, 'identifier', identifier);
  if (!identifier) addNodeMessage(flow.ui.nodes, 'identifier', T.required('identifier'));
  if (!password) addNodeMessage(flow.ui.nodes, 'password', T.required('password'));
  if (!identifier || !password) return answerWithFlow(core, ctx, flow);
  checkSubmitCsrf(ctx, flow, body);
  const identity = core.store.findByIdentifier('password', identifier);
  const hash = identity?.credentials.password?.config.hashed_password;
  const ok = typeof hash === 'string' ? await verifyPassword(password, hash) : (await verifyPassword(password, DUMMY_HASH), false);
  if (!identity || !ok) {
    addUiMessage(flow.ui, T.invalidCredentials());
    return answerWithFlow(core, ctx, flow);
  }
  if (identity.state !== 'active') throw new KratosError(401, { reason: 'This account was disabled.', message: 'identity is disabled' });
  const hooks = core.config.flows.login.after.methods.password?.hooks.length ? core.config.flows.login.after.methods.password.hooks : core.config.flows.login.after.hooks;
  if (hooks.includes('require_verified_address') && !identity.verifiableAddresses.some((a) => a.verified && identifier.trim().toLowerCase() === a.value)) {
    addUiMessage(flow.ui, T.addressNotVerified());
    return answerWithFlow(core, ctx, flow);
  }
  succeed(core, ctx, flow, identity, 'password', 'aal1');
}

const DUMMY_HASH = '$scrypt$ln=12,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

function secondFactorLogin(core: Core, ctx: Ctx, flow: FlowRecord, body: Record<string, unknown>, method: 'totp' | 'lookup_secret'): void {
  const session = flow.type === 'api' ? sessionFromToken(core, ctx) : core.sessionOf(ctx);
  if (!session) throw errAal1Required();
  const identity = core.identityOf(session)!;
  if (method === 'totp') {
    if (!body.totp_code) {
      addNodeMessage(flow.ui.nodes, 'totp_code', T.required('totp_code'));
      return answerWithFlow(core, ctx, flow);
    }
    checkSubmitCsrf(ctx, flow, body);
    const secret = totpSecretOf(identity);
    if (!secret) {
      addUiMessage(flow.ui, T.noTotp());
      return answerWithFlow(core, ctx, flow);
    }
    if (!totpValid(secret, body.totp_code, core.now())) {
      addUiMessage(flow.ui, T.totpWrong());
      return answerWithFlow(core, ctx, flow);
    }
    return succeed(core, ctx, flow, identity, 'totp', 'aal2');
  }
  const code = typeof body.lookup_secret === 'string' ? body.lookup_secret.trim() : '';
  if (!code) {
    addNodeMessage(flow.ui.nodes, 'lookup_secret', T.required('lookup_secret'));
    return answerWithFlow(core, ctx, flow);
  }
  checkSubmitCsrf(ctx, flow, body);
  const codes = identity.credentials.lookup_secret?.config.recovery_codes as { code: string; used_at?: string }[] | undefined;
  if (!codes || codes.length === 0) {
    addUiMessage(flow.ui, T.noLookup());
    return answerWithFlow(core, ctx, flow);
  }
  const entry = codes.find((c) => c.code === code);
  if (!entry) addUiMessage(flow.ui, T.lookupInvalid());
  else if (entry.used_at) addUiMessage(flow.ui, T.lookupAlreadyUsed());
  if (!entry || entry.used_at) return answerWithFlow(core, ctx, flow);
  entry.used_at = isoTime(core.now());
  succeed(core, ctx, flow, identity, 'lookup_secret', 'aal2');
}

/** POST (and GET) /self-service/login?flow= */
export async function submitLogin(core: Core, ctx: Ctx): Promise<void> {
  let flow: FlowRecord | undefined;
  try {
    flow = submittedFlow(core, ctx, 'login');
    const { body } = await ctx.body();
    if (isExpired(core, flow)) return loginReplacement(core, ctx, flow);
    clearMessages(flow.ui);
    setNodeValue(flow.ui.nodes, 'password', undefined);
    if (flow.state === 'passed_challenge') {
      addUiMessage(flow.ui, { id: 4010007, text: 'The request was already completed successfully and can not be retried.', type: 'error' });
      return answerWithFlow(core, ctx, flow);
    }
    const session = flow.type === 'api' ? sessionFromToken(core, ctx) : core.sessionOf(ctx);
    if (session && !flow.refresh && (flow.requestedAal !== 'aal2' || sessionAal(session) === 'aal2')) {
      if (flow.type === 'browser' && !ctx.isJsonRequest()) return ctx.redirect(303, core.config.defaultBrowserReturnUrl);
      addUiMessage(flow.ui, T.generic(ALREADY));
      return answerWithFlow(core, ctx, flow);
    }
    switch (body.method) {
      case 'password':
        if (core.config.methods.password.enabled && flow.requestedAal !== 'aal2') return await passwordLogin(core, ctx, flow, body);
        break;
      case 'totp':
        if (core.config.methods.totp.enabled) return secondFactorLogin(core, ctx, flow, body, 'totp');
        break;
      case 'lookup_secret':
        if (core.config.methods.lookupSecret.enabled) return secondFactorLogin(core, ctx, flow, body, 'lookup_secret');
        break;
    }
    addUiMessage(flow.ui, { id: 4010002, text: 'Could not find a strategy to log you in with. Did you fill out the form correctly?', type: 'error' });
    answerWithFlow(core, ctx, flow);
  } catch (err) {
    submitError(core, ctx, flow, err);
  }
}
