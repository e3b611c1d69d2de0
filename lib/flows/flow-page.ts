import type { Session } from '@ory/kratos-client-fetch';
import { KratosExpressError } from '../kratos/errors';
import { loginUrl, safeReturnTo } from '../kratos/request';
import type { AnyFlow, FlowType } from '../render/types';
import { attachedSession, browserRedirect, initUrl, returnHere, sendErrorPage, type Deps } from './deps';
import { fetchFlow, type FlowOutcome } from './kratos-flow';
import { flowParams, UUID } from './params';
import { pageUrls, redirect, sendPage, viewData, type PageRequest } from './respond';
import { clearRestartCookie, MAX_RESTARTS, restartCookie, restartCount, RETRY_PARAM } from './retry';

type Restart = Extract<FlowOutcome, { kind: 'restart' }>;

/** Redirects a browser without a (sufficient) session to login, or returns false when it has one. */
async function requireSessionForSettings(page: PageRequest, deps: Deps): Promise<Session | false> {
  const { config, sessions } = deps.context;
  const result = await sessions.check(page.req);
  if (result.state === 'active') return result.session;
  const returnTo = returnHere(page.req);
  const options = result.state === 'aal2_required' ? { aal: 'aal2' as const } : result.state === 'refresh_required' ? { refresh: true } : {};
  redirect(page.res, loginUrl(config, page.req, { returnTo, ...options }));
  return false;
}

async function startFlow(flow: FlowType, page: PageRequest, deps: Deps): Promise<void> {
  const checked = flowParams(flow, page.query, page.req, deps.context.config);
  if ('problem' in checked) return sendErrorPage(page, deps, 400, checked.problem);
  if (page.query.get(RETRY_PARAM) === '1' && restartCount(page) === 0) {
    return sendErrorPage(page, deps, 403, 'This page needs cookies. Allow cookies for this site in your browser and try again.', {
      reason: 'The browser did not keep the cookie the sign-in page set, so the request could not be protected against cross-site request forgery.',
    });
  }
  if (flow === 'settings' && !(await requireSessionForSettings(page, deps))) return;
  redirect(page.res, initUrl(deps, page.req, flow, checked.params));
}

async function restart(flow: FlowType, page: PageRequest, deps: Deps, outcome: Restart): Promise<void> {
  const count = restartCount(page);
  if (count >= MAX_RESTARTS) {
    const csrf = outcome.reason === 'csrf';
    return sendErrorPage(
      page,
      deps,
      csrf ? 403 : 502,
      csrf
        ? 'The request could not be verified. Clear the cookies of this site in your browser and try again.'
        : 'The sign-in service could not start a new flow. Please try again later.',
      { reason: `The ${flow} flow had to be restarted ${count} times in a row (last: ${outcome.reason}).`, cookies: [clearRestartCookie(page)] },
    );
  }
  const checked = flowParams(flow, page.query, page.req, deps.context.config);
  const params = 'problem' in checked ? {} : checked.params;
  const kept = outcome.returnTo === undefined ? undefined : safeReturnTo(outcome.returnTo, page.req, deps.context.config);
  if (kept && !params.return_to) params.return_to = kept;
  const cookies = [restartCookie(page, count + 1)];
  if (outcome.reason !== 'csrf') return redirect(page.res, initUrl(deps, page.req, flow, params), cookies);
  const query = new URLSearchParams({ ...params, [RETRY_PARAM]: '1' });
  redirect(page.res, `${page.mount}${page.routePath}?${query}`, cookies);
}

function withLogout(flow: FlowType, data: AnyFlow, session: Session | undefined): boolean {
  const login = data as { refresh?: boolean; requested_aal?: string };
  return session !== undefined || (flow === 'login' && (login.refresh === true || login.requested_aal === 'aal2'));
}

async function renderFlow(flow: FlowType, page: PageRequest, deps: Deps, data: AnyFlow): Promise<void> {
  let session = attachedSession(page.req, deps);
  if (flow === 'settings' && !session) {
    const result = await deps.context.sessions.check(page.req);
    if (result.state === 'active') session = result.session;
  }
  const home = data.return_to ? safeReturnTo(data.return_to, page.req, deps.context.config) : undefined;
  const urls = pageUrls(page, deps.options, home, withLogout(flow, data, session));
  const cookies = restartCount(page) > 0 ? [clearRestartCookie(page)] : [];
  await sendPage(page, viewData({ kind: flow, status: 200, urls, flow: data, session }, deps.options), deps.options, cookies);
}

/**
 * `GET <route>`: without `?flow=` starts a flow at Kratos (303, validated parameters passed through); with
 * it fetches the flow with the browser's cookies and renders it, recovering from expired, unknown and
 * CSRF-broken flows by starting a fresh one (at most {@link MAX_RESTARTS} times in a row).
 */
export async function flowPage(flow: FlowType, page: PageRequest, deps: Deps): Promise<void> {
  const ids = page.query.getAll('flow').filter((id) => id !== '');
  if (ids.length === 0) return startFlow(flow, page, deps);
  if (ids.length > 1 || !UUID.test(ids[0])) {
    const shown = JSON.stringify(ids[0].length > 80 ? `${ids[0].slice(0, 80)}...` : ids[0]);
    return sendErrorPage(page, deps, 400, `The flow parameter ${ids.length > 1 ? 'is given more than once' : `${shown} is not a flow id`}. Start again from the ${flow} page.`);
  }
  const outcome = await fetchFlow(deps.context, flow, ids[0].toLowerCase(), page.req);
  const { config } = deps.context;
  switch (outcome.kind) {
    case 'flow':
      return renderFlow(flow, page, deps, outcome.flow);
    case 'restart':
      return restart(flow, page, deps, outcome);
    case 'login':
      return redirect(page.res, loginUrl(config, page.req, { returnTo: returnHere(page.req) }));
    case 'redirect': {
      const to = browserRedirect(outcome.to, page.req, deps);
      if (!to) {
        throw new KratosExpressError('KRATOS_BAD_RESPONSE', `Kratos asked to redirect the browser (${outcome.id}) to a URL that is neither Kratos' nor this site's.`, {
          cause: { status: 0, body: { redirect_browser_to: outcome.to } },
        });
      }
      return redirect(page.res, to);
    }
    case 'return': {
      const checked = flowParams(flow, page.query, page.req, config);
      return redirect(page.res, ('params' in checked && checked.params.return_to) || deps.options.home);
    }
    case 'error':
      return sendErrorPage(page, deps, outcome.status, '', { error: outcome.error });
  }
}
