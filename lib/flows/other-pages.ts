import { getCredentials, toBrowserUrl } from '../kratos/request';
import { KratosExpressError } from '../kratos/errors';
import { sendErrorPage, type Deps } from './deps';
import { fetchError, fetchLogoutUrl } from './kratos-flow';
import { flowParams, UUID } from './params';
import { pageUrls, redirect, sendPage, viewData, type PageRequest } from './respond';

/**
 * `GET <error route>?id=`: fetches Kratos' error container and renders it with the status of the error
 * (`error.code`); a missing, malformed or unknown id gives a 404 page.
 */
export async function errorPage(page: PageRequest, deps: Deps): Promise<void> {
  const ids = page.query.getAll('id');
  const notFound = () => sendErrorPage(page, deps, 404, 'This error could not be found. It may have been shown already or the link is incomplete.');
  if (ids.length !== 1 || !UUID.test(ids[0])) return notFound();
  const error = await fetchError(deps.context, ids[0].toLowerCase(), page.req);
  if (!error) return notFound();
  const code = Number((error.error as { code?: unknown } | undefined)?.code);
  const status = Number.isInteger(code) && code >= 400 && code <= 599 ? code : 500;
  await sendPage(page, viewData({ kind: 'error', status, urls: pageUrls(page, deps.options, undefined, false), error }, deps.options), deps.options);
}

/**
 * `GET <logout route>[?return_to=]`: asks Kratos for the browser's logout URL (with the browser's cookies),
 * forgets the cached session and sends the browser there (303). Without a session the browser goes to the
 * validated `return_to`, else the login page, else `home`. A cross-site navigation (`Sec-Fetch-Site:
 * cross-site`) is refused so that another site cannot sign users out.
 */
export async function logoutPage(page: PageRequest, deps: Deps): Promise<void> {
  const { req, res } = page;
  if (String(req.headers['sec-fetch-site'] ?? '').toLowerCase() === 'cross-site') {
    return sendErrorPage(page, deps, 403, 'Signing out must start from this site. Use the sign-out link of this site.');
  }
  const checked = flowParams('settings', page.query, req, deps.context.config);
  if ('problem' in checked) return sendErrorPage(page, deps, 400, checked.problem);
  const returnTo = checked.params.return_to;
  const { config, sessions } = deps.context;
  const fallback = returnTo ?? (deps.options.paths.login ? page.mount + deps.options.paths.login : deps.options.home);
  const { key } = getCredentials(req, config.sessionCookieName);
  if (!key) return redirect(res, fallback);
  const raw = await fetchLogoutUrl(deps.context, req, returnTo);
  sessions.invalidate(key);
  if (raw === undefined) return redirect(res, fallback);
  const to = toBrowserUrl(raw, req, config);
  if (!to) {
    throw new KratosExpressError('KRATOS_BAD_RESPONSE', 'Kratos answered GET /self-service/logout/browser with a logout_url that is not a Kratos URL.', {
      cause: { status: 200, body: { logout_url: raw } },
    });
  }
  redirect(res, to);
}
