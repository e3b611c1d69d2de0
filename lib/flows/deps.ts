import type { IncomingMessage } from 'node:http';
import type { FlowError, Session } from '@ory/kratos-client-fetch';
import type { KratosContext } from '../context';
import { browserBaseUrl, currentUrl, toBrowserUrl } from '../kratos/request';
import type { FlowType } from '../render/types';
import { errorContainer } from './kratos-flow';
import type { ResolvedFlowOptions } from './options';
import { withParams } from './params';
import { pageUrls, sendPage, viewData, type PageRequest } from './respond';

/** What every page handler needs: the shared Kratos context and the resolved options. */
export interface Deps {
  context: KratosContext;
  options: ResolvedFlowOptions;
}

/** `<browserUrl>/self-service/<flow>/browser?<params>`: where a browser starts a flow. */
export function initUrl(deps: Deps, req: IncomingMessage, flow: FlowType, params: Record<string, string | undefined>): string {
  return withParams(`${browserBaseUrl(deps.context.config, req)}/self-service/${flow}/browser`, params);
}

/** The current URL without the parameters the kit adds (`flow`, `csrf_retry`), for `return_to`. */
export function returnHere(req: IncomingMessage): string {
  const url = currentUrl(req);
  url.searchParams.delete('flow');
  url.searchParams.delete('csrf_retry');
  return url.href;
}

/**
 * A `redirect_browser_to` Kratos sent, mapped to the browser URL when it points at Kratos, or kept when it
 * points at the app's own origin; `undefined` for anything else.
 */
export function browserRedirect(raw: unknown, req: IncomingMessage, deps: Deps): string | undefined {
  const mapped = toBrowserUrl(raw, req, deps.context.config);
  if (mapped) return mapped;
  if (typeof raw !== 'string' || /[\0-\x20\x7f\\]/.test(raw)) return undefined;
  try {
    const url = new URL(raw);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password && url.origin === currentUrl(req).origin) return url.href;
  } catch {
    return undefined;
  }
  return undefined;
}

/** The session the app attached to the request (`optionalSession()`), when it looks like a Kratos session. */
export function attachedSession(req: IncomingMessage, deps: Deps): Session | undefined {
  const value = (req as unknown as Record<string, unknown>)[deps.context.config.sessionProperty];
  const session = value as { id?: unknown; identity?: unknown } | undefined;
  return session && typeof session === 'object' && typeof session.id === 'string' && typeof session.identity === 'object' ? (value as Session) : undefined;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found' };

/** Renders the error page with an error the kit raises itself. */
export function sendErrorPage(
  page: PageRequest,
  deps: Deps,
  status: number,
  message: string,
  options: { reason?: string; cookies?: string[]; error?: FlowError } = {},
): Promise<void> {
  const error = options.error ?? errorContainer(status, STATUS_TEXT[status] ?? 'Error', message, options.reason);
  const data = viewData({ kind: 'error', status, urls: pageUrls(page, deps.options, undefined, false), error }, deps.options);
  return sendPage(page, data, deps.options, options.cookies);
}
