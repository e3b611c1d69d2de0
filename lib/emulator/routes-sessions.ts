import type { Core } from './core';
import type { Ctx } from './ctx';
import { errAal2Required, KratosError, notFound } from './errors';
import type { FileSource } from './config-files';
import { renderSession, sessionAal } from './render';
import type { Router } from './router';
import { revokeSession } from './sessions';
import { tokenize } from './tokenizer';

const noCredentials = () => new KratosError(401, { reason: 'No valid session credentials found in the request.' });
const noCookie = () => new KratosError(401, { reason: 'No valid session cookie found.' });

export function registerSessionRoutes(router: Router, core: Core, files: FileSource): void {
  async function whoami(ctx: Ctx): Promise<void> {
    const session = core.sessionOf(ctx);
    if (!session) return ctx.error(noCredentials());
    const identity = core.identityOf(session)!;
    if (core.config.session.whoamiRequiredAal === 'highest_available' && sessionAal(session) === 'aal1' && core.availableAal(identity) === 'aal2') {
      return ctx.error(errAal2Required(core.publicUrl('self-service/login/browser', { aal: 'aal2' })));
    }
    const body = renderSession(session, identity, core.baseUrl, core.now());
    const template = ctx.query.get('tokenize_as');
    if (template) body.tokenized = await tokenize(core, files, template, session);
    ctx.json(200, body, { 'X-Kratos-Authenticated-Identity-Id': identity.id });
  }

  router.add('*', '/sessions/whoami', whoami);

  router.add(['GET'], '/sessions', (ctx) => {
    const current = core.sessionOf(ctx);
    if (!current) return ctx.error(noCookie());
    const others = core.store.sessionsOf(current.identityId).filter((s) => s.id !== current.id && core.isActive(s));
    const pageSize = Math.min(Math.max(Number(ctx.query.get('page_size')) || 250, 1), 1000);
    const page = Math.max(Number(ctx.query.get('page_token') ?? ctx.query.get('page')) || 0, 0);
    const slice = others.slice(page * pageSize, (page + 1) * pageSize);
    const headers: Record<string, string> = { 'X-Total-Count': String(others.length) };
    if ((page + 1) * pageSize < others.length) headers.Link = `<${core.publicUrl('sessions', { page_size: String(pageSize), page_token: String(page + 1) })}>; rel="next"`;
    ctx.json(200, slice.map((s) => renderSession(s, core.identityOf(s), core.baseUrl, core.now())), headers);
  });

  router.add(['DELETE'], '/sessions', (ctx) => {
    const current = core.sessionOf(ctx);
    if (!current) return ctx.error(noCookie());
    let count = 0;
    for (const s of core.store.sessionsOf(current.identityId)) if (s.id !== current.id && core.isActive(s) && revokeSession(core, s.id)) count++;
    ctx.json(200, { count });
  });

  router.add(['DELETE'], '/sessions/{id}', async (ctx, { id }) => {
    if (id === 'whoami') return whoami(ctx);
    const current = core.sessionOf(ctx);
    if (!current) return ctx.error(noCookie());
    if (id === current.id) return ctx.error(new KratosError(400, { reason: 'You tried to revoke the current session. Use the logout flow instead.', message: 'cannot revoke current session' }));
    const target = core.store.sessions.get(id);
    if (!target || target.identityId !== current.identityId) return ctx.error(notFound());
    revokeSession(core, id);
    ctx.noContent();
  });
}
