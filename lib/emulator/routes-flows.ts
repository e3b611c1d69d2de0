import type { Core } from './core';
import type { Ctx } from './ctx';
import { notFound } from './errors';
import { checkFetchCsrf, expiredFetchError, findFlow, flowJson, isExpired } from './flow-common';
import { initLogin, submitLogin } from './flow-login';
import { createLogoutUrl, performApiLogout, performLogout } from './flow-logout';
import { createAdminRecoveryCode, initRecovery, submitRecovery } from './flow-recovery';
import { initRegistration, submitRegistration } from './flow-registration';
import { checkSettingsFetch, initSettings, settledNodes, submitSettings } from './flow-settings';
import { initVerification, submitVerification } from './flow-verification';
import { KratosError } from './errors';
import type { FlowKind } from './model';
import type { Router } from './router';
import { isoTime, isUuid, uuid } from './util';
import { parseDuration } from './duration';

type Init = (core: Core, ctx: Ctx, type: 'browser' | 'api') => void | Promise<void>;
type Submit = (core: Core, ctx: Ctx) => Promise<void>;

const FLOWS: Record<FlowKind, { init: Init; submit: Submit }> = {
  login: { init: initLogin, submit: submitLogin },
  registration: { init: initRegistration, submit: submitRegistration },
  settings: { init: initSettings, submit: submitSettings },
  recovery: { init: initRecovery, submit: submitRecovery },
  verification: { init: initVerification, submit: submitVerification },
};

async function fetchFlow(core: Core, ctx: Ctx, kind: FlowKind): Promise<void> {
  if (kind !== 'settings') ctx.csrfToken();
  const flow = findFlow(core, kind, ctx.query.get('id'));
  if (!flow) return ctx.error(notFound());
  if ((kind === 'registration' && !core.config.flows.registration.enabled) || (kind === 'recovery' && !core.config.flows.recovery.enabled) || (kind === 'verification' && !core.config.flows.verification.enabled)) {
    const reason = { registration: 'Registration', recovery: 'Recovery', verification: 'Verification' }[kind];
    return ctx.error(new KratosError(400, { id: kind === 'registration' ? 'self_service_flow_disabled' : undefined, reason: `${reason} is not allowed because it was disabled.` }));
  }
  if (kind === 'settings') {
    const problem = checkSettingsFetch(core, ctx, flow);
    if (problem === 'login') return ctx.redirect(302, core.config.flows.login.uiUrl);
    if (problem) return ctx.error(problem);
    await settledNodes(flow);
  } else checkFetchCsrf(ctx, flow);
  if (isExpired(core, flow)) return ctx.error(expiredFetchError(core, flow));
  ctx.json(200, flowJson(core, flow));
}

export function registerFlowRoutes(router: Router, core: Core): void {
  for (const kind of Object.keys(FLOWS) as FlowKind[]) {
    const { init, submit } = FLOWS[kind];
    router.add(['GET'], `/self-service/${kind}/browser`, (ctx) => init(core, ctx, 'browser'));
    router.add(['GET'], `/self-service/${kind}/api`, (ctx) => init(core, ctx, 'api'));
    router.add(['GET'], `/self-service/${kind}/flows`, (ctx) => fetchFlow(core, ctx, kind));
    router.add(['POST', 'GET'], `/self-service/${kind}`, (ctx) => submit(core, ctx));
  }
  router.add(['GET'], '/self-service/logout/browser', (ctx) => createLogoutUrl(core, ctx));
  router.add(['GET'], '/self-service/logout', (ctx) => performLogout(core, ctx));
  router.add(['DELETE'], '/self-service/logout/api', (ctx) => performApiLogout(core, ctx));
  router.add(['GET'], '/self-service/errors', (ctx) => {
    const id = ctx.query.get('id') ?? ctx.query.get('error');
    if (id === 'stub:500') {
      return ctx.json(200, {
        id: uuid(),
        error: { code: 500, status: 'Internal Server Error', reason: 'This is a stub error.', message: 'An internal server error occurred, please contact the system administrator' },
        created_at: '0001-01-01T00:00:00Z',
        updated_at: '0001-01-01T00:00:00Z',
      });
    }
    const container = id && isUuid(id) ? core.store.errors.get(id.toLowerCase()) : undefined;
    if (!container) return ctx.error(notFound());
    container.seen = true;
    ctx.json(200, { id: container.id, error: container.error, created_at: isoTime(container.createdAt), updated_at: isoTime(container.updatedAt) });
  });
  router.add(['GET'], '/.well-known/ory/webauthn.js', (ctx) => ctx.text(200, '// WebAuthn is not supported by the kratos-express emulator.\n', 'text/javascript; charset=UTF-8'));
}

export function registerAdminFlowRoutes(router: Router, core: Core): void {
  router.add(['POST'], '/admin/recovery/code', async (ctx) => {
    if (!core.config.flows.recovery.enabled) throw new KratosError(400, { reason: 'Recovery is not allowed because it was disabled.' });
    const { body } = await ctx.body();
    const identity = typeof body.identity_id === 'string' ? core.store.identities.get(body.identity_id) : undefined;
    if (!identity) throw new KratosError(404, { reason: 'The requested identity could not be found.' });
    const expiresIn = body.expires_in === undefined ? core.config.methods.code.lifespanMs : parseDuration(body.expires_in);
    if (expiresIn === undefined) throw new KratosError(400, { reason: `expires_in ${JSON.stringify(body.expires_in)} is not a duration such as 1h or 15m.` });
    const { flow, code } = createAdminRecoveryCode(core, ctx, identity, expiresIn);
    ctx.json(201, { recovery_link: core.actionUrl('recovery', flow.id), recovery_code: code, expires_at: isoTime(flow.expiresAt) });
  });
}
