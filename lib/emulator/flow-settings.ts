import { toDataURL, type QRCodeToDataURLOptions } from 'qrcode';
import type { Core } from './core';
import type { Ctx } from './ctx';
import { errAal2Required, errIdentityMismatch, errRefreshRequired, errSessionInactive, KratosError } from './errors';
import { newLookupCodes, newTotpSecret, totpValid } from './factors';
import { answerWithFlow, checkSubmitCsrf, expiredSubmitError, flowCsrfNode, flowJson, isExpired, newFlow, requestReturnTo, submitError, submittedFlow } from './flow-common';
import { conflictingIdentity, newCredential, passwordPolicy, syncAddresses, totpUrl } from './identities';
import { T } from './messages';
import type { FlowRecord, IdentityRecord, SessionRecord } from './model';
import { addNodeMessage, addUiMessage, clearMessages, imgNode, input, submit, textNode, type UiNode } from './nodes';
import { hashPassword } from './password';
import { sessionAal } from './render';
import { isPlainObject } from './util';

type LookupView = 'reveal' | 'regenerate' | undefined;

// PNG row filter 0 ("none"): pngjs' adaptive filter search is very slow in some runtimes (jest) and gains nothing for a QR code.
const QR_OPTIONS = { width: 256, margin: 1, rendererOpts: { filterType: 0 } } as QRCodeToDataURLOptions;

function lookupCodesOf(identity: IdentityRecord): { code: string; used_at?: string }[] {
  const codes = identity.credentials.lookup_secret?.config.recovery_codes;
  return Array.isArray(codes) ? (codes as { code: string; used_at?: string }[]) : [];
}

function lookupListNode(codes: { code: string; used_at?: string }[]): UiNode {
  const texts = codes.map((c) => (c.used_at ? T.lookupUsed(c.used_at, Math.floor(Date.parse(c.used_at) / 1000)) : T.lookupSecret(c.code)));
  return textNode('lookup_secret', 'lookup_secret_codes', T.lookupList(texts.map((t) => t.text), texts), T.lookupSecretsLabel());
}

/** Settings nodes (§7.3) for the identity's current state; TOTP setup needs the flow's pending secret. */
async function settingsNodes(core: Core, flow: FlowRecord, identity: IdentityRecord, lookupView?: LookupView): Promise<UiNode[]> {
  const m = core.config.methods;
  const nodes: UiNode[] = [flowCsrfNode(flow)];
  if (m.profile.enabled) nodes.push(...core.schemaFor(identity).traitNodes('profile', identity.traits), submit('profile', 'method', 'profile', T.save()));
  if (m.password.enabled) {
    nodes.push(input('password', 'password', 'password', { required: true, autocomplete: 'new-password' }, T.password()), submit('password', 'method', 'password', T.save()));
  }
  if (m.totp.enabled) {
    if (identity.credentials.totp) nodes.push(submit('totp', 'totp_unlink', 'true', T.unlinkTotp()));
    else {
      if (!flow.totpSecret || !flow.totpQr) {
        flow.totpSecret ??= newTotpSecret();
        flow.totpQr = await toDataURL(totpUrl(core, identity, flow.totpSecret), QR_OPTIONS);
      }
      const src = flow.totpQr;
      nodes.push(
        imgNode('totp', 'totp_qr', src, 256, T.totpQr()),
        textNode('totp', 'totp_secret_key', T.totpSecret(flow.totpSecret), T.totpSecretLabel()),
        input('totp', 'totp_code', 'text', { required: true }, T.verifyCode()),
        submit('totp', 'method', 'totp', T.save()),
      );
    }
  }
  if (m.lookupSecret.enabled) {
    const codes = lookupCodesOf(identity);
    if (lookupView === 'regenerate' && flow.lookupCodes) {
      nodes.push(lookupListNode(flow.lookupCodes.map((code) => ({ code }))), submit('lookup_secret', 'lookup_secret_confirm', 'true', T.confirmLookup()));
    } else if (lookupView === 'reveal' && codes.length > 0) {
      nodes.push(lookupListNode(codes), submit('lookup_secret', 'lookup_secret_regenerate', 'true', T.regenerateLookup()), submit('lookup_secret', 'lookup_secret_disable', 'true', T.disableLookup()));
    } else if (codes.length > 0) nodes.push(submit('lookup_secret', 'lookup_secret_reveal', 'true', T.revealLookup()));
    else nodes.push(submit('lookup_secret', 'lookup_secret_regenerate', 'true', T.regenerateLookup()));
  }
  return nodes;
}

async function rebuild(core: Core, flow: FlowRecord, identity: IdentityRecord, lookupView?: LookupView): Promise<void> {
  flow.ui.nodes = await settingsNodes(core, flow, identity, lookupView);
}

export function createSettingsFlow(core: Core, ctx: Ctx, type: 'browser' | 'api', identity: IdentityRecord, returnTo?: string, requestUrl?: string): FlowRecord {
  const flow = newFlow(core, ctx, 'settings', { type, returnTo, requestUrl }, { identityId: identity.id });
  flow.ui.nodes = [flowCsrfNode(flow)];
  pendingNodes.set(flow.id, rebuild(core, flow, identity));
  return flow;
}

/** Node lists that need the QR code are finished asynchronously; readers await them. */
const pendingNodes = new Map<string, Promise<void>>();
export async function settledNodes(flow: FlowRecord): Promise<void> {
  const p = pendingNodes.get(flow.id);
  if (p) {
    await p;
    pendingNodes.delete(flow.id);
  }
}

const loginUrl = (core: Core, query: Record<string, string | undefined>) => core.publicUrl('self-service/login/browser', query);

function needsAal2(core: Core, session: SessionRecord, identity: IdentityRecord): boolean {
  return core.config.flows.settings.requiredAal === 'highest_available' && sessionAal(session) === 'aal1' && core.availableAal(identity) === 'aal2';
}

function sessionFor(core: Core, ctx: Ctx, type: 'browser' | 'api'): SessionRecord | undefined {
  if (type === 'browser') return core.sessionOf(ctx);
  const token = core.requestToken(ctx, false);
  const s = token ? core.store.sessionByToken(token) : undefined;
  return s && core.isActive(s) ? s : undefined;
}

/** GET /self-service/settings/{browser,api} */
export async function initSettings(core: Core, ctx: Ctx, type: 'browser' | 'api'): Promise<void> {
  const json = type === 'api' || ctx.acceptsJson();
  try {
    const returnTo = requestReturnTo(core, ctx);
    const session = sessionFor(core, ctx, type);
    if (!session) {
      if (json) throw errSessionInactive();
      return ctx.redirect(303, loginUrl(core, { return_to: ctx.query.get('return_to') || undefined }));
    }
    const identity = core.identityOf(session)!;
    if (needsAal2(core, session, identity)) {
      const url = loginUrl(core, { aal: 'aal2', return_to: ctx.query.get('return_to') ? ctx.requestUrl() : undefined });
      if (json) throw errAal2Required(url);
      return ctx.redirect(303, url);
    }
    const flow = createSettingsFlow(core, ctx, type, identity, returnTo);
    await settledNodes(flow);
    if (json) return ctx.json(200, flowJson(core, flow));
    ctx.redirect(303, core.uiUrl('settings', flow.id));
  } catch (err) {
    if (err instanceof KratosError) return core.forward(ctx, err, json);
    throw err;
  }
}

/** Checks of GET /self-service/settings/flows (after the 404): session, owner, AAL, expiry. */
export function checkSettingsFetch(core: Core, ctx: Ctx, flow: FlowRecord): KratosError | 'login' | undefined {
  const session = sessionFor(core, ctx, flow.type);
  if (!session) return ctx.isJsonRequest() || flow.type === 'api' ? new KratosError(401, { reason: 'A valid Ory Session Cookie or Ory Session Token is missing.' }) : 'login';
  if (session.identityId !== flow.identityId) return errIdentityMismatch();
  const identity = core.identityOf(session)!;
  if (needsAal2(core, session, identity)) return errAal2Required(loginUrl(core, { aal: 'aal2', return_to: core.uiUrl('settings', flow.id) }));
  return undefined;
}

const privileged = (core: Core, session: SessionRecord) => session.authenticatedAt + core.config.flows.settings.privilegedSessionMaxAgeMs > core.now();

class RefreshRequired extends Error {}

function requirePrivileged(core: Core, session: SessionRecord): void {
  if (!privileged(core, session)) throw new RefreshRequired();
}

async function applyUpdate(core: Core, ctx: Ctx, flow: FlowRecord, session: SessionRecord, identity: IdentityRecord, body: Record<string, unknown>, fromForm: boolean): Promise<'done' | 'answered'> {
  const method = body.method;
  const m = core.config.methods;
  const schema = core.schemaFor(identity);
  if (method === 'profile' && m.profile.enabled) {
    if (!isPlainObject(body.traits)) {
      addUiMessage(flow.ui, T.generic('Did not receive any value changes.'));
      return 'answered';
    }
    const traits = schema.coerce(body.traits, fromForm);
    const errors = schema.validate(traits);
    if (errors.length > 0) {
      await rebuild(core, flow, { ...identity, traits });
      for (const e of errors) if (!e.name || !addNodeMessage(flow.ui.nodes, e.name, e.message)) addUiMessage(flow.ui, e.message);
      return 'answered';
    }
    const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));
    const protectedChange =
      !sameList(schema.identifiers(traits), schema.identifiers(identity.traits)) ||
      !sameList(schema.verifiableAddresses(traits).map((a) => a.value), identity.verifiableAddresses.map((a) => a.value));
    if (protectedChange) requirePrivileged(core, session);
    if (conflictingIdentity(core, schema.identifiers(traits), identity.id)) {
      addUiMessage(flow.ui, T.duplicate());
      return 'answered';
    }
    identity.traits = traits;
    syncAddresses(core, identity, schema);
  } else if (method === 'password' && m.password.enabled) {
    const password = typeof body.password === 'string' ? body.password : '';
    if (!password) {
      addNodeMessage(flow.ui.nodes, 'password', T.required('password'));
      return 'answered';
    }
    requirePrivileged(core, session);
    const identifiers = schema.identifiers(identity.traits);
    const policy = passwordPolicy(core, identifiers, password);
    if (policy) {
      addNodeMessage(flow.ui.nodes, 'password', policy);
      return 'answered';
    }
    const hash = await hashPassword(password);
    const existing = identity.credentials.password;
    identity.credentials.password = existing
      ? { ...existing, identifiers, config: { hashed_password: hash }, updatedAt: core.now() }
      : newCredential(core, 'password', identifiers, { hashed_password: hash });
  } else if (method === 'totp' && m.totp.enabled) {
    requirePrivileged(core, session);
    if (body.totp_unlink === 'true' || body.totp_unlink === true) {
      delete identity.credentials.totp;
    } else {
      if (identity.credentials.totp) {
        addUiMessage(flow.ui, T.generic('You already have a TOTP device set up.'));
        return 'answered';
      }
      if (!flow.totpSecret || !totpValid(flow.totpSecret, body.totp_code, core.now())) {
        addNodeMessage(flow.ui.nodes, 'totp_code', body.totp_code ? T.totpWrong() : T.required('totp_code'));
        return 'answered';
      }
      identity.credentials.totp = newCredential(core, 'totp', [identity.id], { totp_url: totpUrl(core, identity, flow.totpSecret) });
      session.methods.push({ method: 'totp', aal: 'aal2', completedAt: core.now() });
      flow.totpSecret = undefined;
      flow.totpQr = undefined;
    }
  } else if (method === 'lookup_secret' && m.lookupSecret.enabled) {
    requirePrivileged(core, session);
    const flag = (name: string) => body[name] === 'true' || body[name] === true;
    if (flag('lookup_secret_reveal')) {
      await rebuild(core, flow, identity, 'reveal');
      return 'answered';
    }
    if (flag('lookup_secret_regenerate')) {
      flow.lookupCodes = newLookupCodes();
      await rebuild(core, flow, identity, 'regenerate');
      return 'answered';
    }
    if (flag('lookup_secret_confirm') && flow.lookupCodes) {
      identity.credentials.lookup_secret = newCredential(core, 'lookup_secret', [identity.id], { recovery_codes: flow.lookupCodes.map((code) => ({ code })) });
      session.methods.push({ method: 'lookup_secret', aal: 'aal2', completedAt: core.now() });
      flow.lookupCodes = undefined;
    } else if (flag('lookup_secret_disable')) {
      delete identity.credentials.lookup_secret;
    } else {
      addUiMessage(flow.ui, T.generic('Did not receive any value changes.'));
      return 'answered';
    }
  } else {
    addUiMessage(flow.ui, { id: 4010004, text: 'Could not find a strategy to update your settings. Did you fill out the form correctly?', type: 'error' });
    return 'answered';
  }
  identity.updatedAt = core.now();
  core.store.putIdentity(identity);
  return 'done';
}

async function update(core: Core, ctx: Ctx, flow: FlowRecord, session: SessionRecord, body: Record<string, unknown>, fromForm: boolean): Promise<void> {
  const identity = core.identityOf(session)!;
  const nav = flow.type === 'browser' && !ctx.isJsonRequest();
  let outcome: 'done' | 'answered';
  try {
    outcome = await applyUpdate(core, ctx, flow, session, identity, body, fromForm);
  } catch (err) {
    if (!(err instanceof RefreshRequired)) throw err;
    const url = loginUrl(core, { refresh: 'true', return_to: core.actionUrl('settings', flow.id) });
    if (!nav) throw errRefreshRequired(url);
    flow.pendingPayload = { body, fromForm };
    ctx.setCookie('ory_kratos_continuity', Buffer.from(flow.id).toString('base64url'), { path: '/', httpOnly: true, sameSite: 'lax', maxAge: 900 });
    return ctx.redirect(303, url);
  }
  if (outcome === 'answered') return answerWithFlow(core, ctx, flow);
  const method = String(body.method);
  flow.state = 'success';
  await rebuild(core, flow, identity);
  flow.ui.messages = [T.settingsSaved()];
  if (flow.type === 'browser') core.issueSessionCookie(ctx, session);
  const after = core.config.flows.settings.after;
  const target = flow.returnTo ?? after.methods[method]?.defaultBrowserReturnUrl ?? after.defaultBrowserReturnUrl ?? core.uiUrl('settings', flow.id);
  if (nav) return ctx.redirect(303, target);
  flow.continueWith = flow.type === 'browser' ? [{ action: 'redirect_browser_to', redirect_browser_to: target }] : undefined;
  ctx.json(200, flowJson(core, flow));
  flow.continueWith = undefined;
}

/** POST /self-service/settings?flow=, and GET to continue a paused update after re-authentication. */
export async function submitSettings(core: Core, ctx: Ctx): Promise<void> {
  let flow: FlowRecord | undefined;
  try {
    flow = submittedFlow(core, ctx, 'settings');
    await settledNodes(flow);
    const nav = flow.type === 'browser' && !ctx.isJsonRequest();
    const session = sessionFor(core, ctx, flow.type);
    if (!session) {
      if (nav) return ctx.redirect(303, loginUrl(core, {}));
      throw new KratosError(401, { reason: 'A valid Ory Session Cookie or Ory Session Token is missing.' });
    }
    if (session.identityId !== flow.identityId) throw errIdentityMismatch();
    const identity = core.identityOf(session)!;
    if (ctx.method === 'GET') {
      const pending = flow.pendingPayload as { body: Record<string, unknown>; fromForm: boolean } | undefined;
      if (!pending || !privileged(core, session) || isExpired(core, flow)) return ctx.redirect(303, core.uiUrl('settings', flow.id));
      flow.pendingPayload = undefined;
      ctx.setCookie('ory_kratos_continuity', '', { path: '/', maxAge: 0, expires: new Date(0) });
      clearMessages(flow.ui);
      return await update(core, ctx, flow, session, pending.body, pending.fromForm);
    }
    const { body, json: jsonBody } = await ctx.body();
    if (isExpired(core, flow)) {
      const replacement = createSettingsFlow(core, ctx, flow.type, identity, flow.returnTo, flow.requestUrl);
      await settledNodes(replacement);
      replacement.ui.messages = [T.flowExpired('settings', flow.expiresAt, core.now())];
      if (nav) return ctx.redirect(303, core.uiUrl('settings', replacement.id));
      return ctx.error(expiredSubmitError(core, flow, replacement));
    }
    if (needsAal2(core, session, identity)) {
      const url = loginUrl(core, { aal: 'aal2', return_to: core.uiUrl('settings', flow.id) });
      if (nav) return ctx.redirect(303, url);
      throw errAal2Required(url);
    }
    clearMessages(flow.ui);
    checkSubmitCsrf(ctx, flow, body);
    await update(core, ctx, flow, session, body, !jsonBody);
  } catch (err) {
    submitError(core, ctx, flow, err);
  }
}

