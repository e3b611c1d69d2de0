import type { Core } from './core';
import type { Ctx } from './ctx';
import { errSessionInactive, KratosError } from './errors';
import { requestReturnTo } from './flow-common';
import { revokeSession } from './sessions';

/** GET /self-service/logout/browser */
export function createLogoutUrl(core: Core, ctx: Ctx): void {
  try {
    ctx.csrfToken();
    const returnTo = requestReturnTo(core, ctx);
    const session = core.sessionOf(ctx);
    if (!session) throw errSessionInactive();
    const logoutUrl = core.publicUrl('self-service/logout', { return_to: returnTo, token: session.logoutToken });
    ctx.json(200, { logout_url: logoutUrl, logout_token: session.logoutToken });
  } catch (err) {
    if (err instanceof KratosError) return core.forward(ctx, err);
    throw err;
  }
}

/** GET /self-service/logout?token=&return_to= */
export function performLogout(core: Core, ctx: Ctx): void {
  try {
    const returnTo = requestReturnTo(core, ctx);
    const token = ctx.query.get('token');
    if (!token) throw new KratosError(400, { reason: 'Please include a token in the URL query.' });
    const session = core.sessionOf(ctx);
    if (!session) throw errSessionInactive();
    if (session.logoutToken !== token) throw new KratosError(403, { reason: 'Unable to log out because the logout token in the URL query does not match the session cookie.' });
    revokeSession(core, session.id);
    core.clearSessionCookie(ctx);
    ctx.regenerateCsrf();
    if (ctx.acceptsJson()) return ctx.noContent();
    ctx.redirect(303, returnTo ?? core.config.flows.logout.after.defaultBrowserReturnUrl ?? core.config.defaultBrowserReturnUrl);
  } catch (err) {
    if (err instanceof KratosError) return core.forward(ctx, err);
    throw err;
  }
}

/** DELETE /self-service/logout/api with {"session_token": "..."} */
export async function performApiLogout(core: Core, ctx: Ctx): Promise<void> {
  const { body } = await ctx.body();
  const token = body.session_token;
  if (typeof token !== 'string' || !token) throw new KratosError(400, { reason: 'The session_token is missing from the request body.' });
  const session = core.store.sessionByToken(token);
  if (!session || !core.isActive(session)) throw new KratosError(403, { reason: 'The provided session token is invalid or has already been used.' });
  revokeSession(core, session.id);
  ctx.noContent();
}
