import type { IncomingMessage } from 'node:http';
import { contextFor, type KratosContext } from '../context';
import { errorFromResponse } from '../kratos/client';
import { getCredentials } from '../kratos/credentials';
import { KratosExpressError } from '../kratos/errors';
import { safeReturnTo, toBrowserUrl } from '../kratos/request';
import { contextOfRequest } from './attach';
import { stateOf } from './request-state';

export interface LogoutUrlOptions {
  /** Where Kratos sends the browser after logout; dropped unless same-origin or allow-listed. */
  returnTo?: string;
}

/**
 * Asks Kratos (`GET /self-service/logout/browser`, with the request's session cookie only) for the
 * logout URL of the request's session, mapped to the browser URL. `undefined` without a cookie session
 * (API clients log out with `DELETE /self-service/logout/api`). Memoised per request.
 */
export function logoutUrlFor(context: KratosContext, req: IncomingMessage, options: LogoutUrlOptions = {}): Promise<string | undefined> {
  const returnTo = safeReturnTo(options.returnTo, req, context.config);
  const perRequest = (stateOf(req).logoutUrls ??= new Map());
  const memoKey = returnTo ?? '';
  let result = perRequest.get(memoKey);
  if (!result) {
    result = fetchLogoutUrl(context, req, returnTo);
    perRequest.set(memoKey, result);
  }
  return result;
}

async function fetchLogoutUrl(context: KratosContext, req: IncomingMessage, returnTo: string | undefined): Promise<string | undefined> {
  const { cookie } = getCredentials(req, context.config.sessionCookieName);
  if (!cookie) return undefined;
  const response = await context.client.request({
    path: '/self-service/logout/browser',
    query: { return_to: returnTo },
    headers: { cookie },
  });
  if (response.status === 401) return undefined;
  const url = (response.body as { logout_url?: unknown } | undefined)?.logout_url;
  if (response.status !== 200 || typeof url !== 'string') throw errorFromResponse(response, 'GET /self-service/logout/browser');
  const browserUrl = toBrowserUrl(url, req, context.config);
  if (!browserUrl) {
    throw new KratosExpressError('KRATOS_BAD_RESPONSE', 'Kratos answered GET /self-service/logout/browser with a logout_url outside Kratos.', {
      cause: { status: response.status, body: response.body },
    });
  }
  return browserUrl;
}

/**
 * The logout URL for the request's session (see {@link logoutUrlFor}), using the context of the kit's
 * middleware that handled the request, else the shared context configured from the environment.
 *
 * @example
 * app.get('/account', requireSession(), async (req, res, next) => {
 *   try { res.render('account', { logoutUrl: await getLogoutUrl(req, { returnTo: '/' }) }); } catch (err) { next(err); }
 * });
 */
export function getLogoutUrl(req: IncomingMessage, options: LogoutUrlOptions = {}): Promise<string | undefined> {
  let context: KratosContext;
  try {
    context = contextOfRequest(req) ?? contextFor();
  } catch (err) {
    return Promise.reject(err);
  }
  return logoutUrlFor(context, req, options);
}
