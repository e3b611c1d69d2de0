import type { IncomingMessage } from 'node:http';
import type { Session } from '@ory/kratos-client-fetch';
import type { KratosContext } from '../context';
import { KratosExpressError } from '../kratos/errors';
import { currentUrl, loginUrl } from '../kratos/request';
import { findRule, type CompiledRule } from './rules';

/** The outcome of the access check of one request. */
export type Decision =
  | { readonly allow: true; readonly session?: Session }
  | { readonly allow: false; readonly error: KratosExpressError; readonly loginUrl?: string };

export interface AccessRequest {
  /** The request carrying the credentials (its Cookie / Authorization / X-Session-Token headers). */
  readonly req: IncomingMessage;
  /** The request as the browser sent it, for login URLs and `return_to`. */
  readonly view: IncomingMessage;
  readonly method: string;
  /** Decoded, normalised path the rules are matched against. */
  readonly path: string;
}

function denied(code: 'UNAUTHENTICATED' | 'AAL2_REQUIRED' | 'REFRESH_REQUIRED', context: Pick<KratosContext, 'config'>, view: IncomingMessage): Decision {
  const returnTo = currentUrl(view).href;
  const url = loginUrl(context.config, view, { returnTo, aal: code === 'AAL2_REQUIRED' ? 'aal2' : undefined, refresh: code === 'REFRESH_REQUIRED' });
  const message =
    code === 'UNAUTHENTICATED' ? 'This resource requires a session. Sign in first.'
      : code === 'AAL2_REQUIRED' ? 'This resource requires a second factor. Complete the second factor first.'
        : 'This resource requires a recent sign-in. Sign in again.';
  return { allow: false, error: new KratosExpressError(code, message, { redirectTo: url }), loginUrl: url };
}

const forbidden = (reason: string): Decision => ({ allow: false, error: new KratosExpressError('FORBIDDEN', 'Access to this resource is denied.', { reason }) });

/**
 * Decides one request: finds its rule, checks the session through the shared session core when the rule needs
 * one, and applies `aal`, `maxAge` and `check`. Kratos failures are thrown (`KRATOS_UNREACHABLE`, ...): a request
 * is never let through because Kratos could not be asked.
 */
export async function decide(context: Pick<KratosContext, 'config' | 'sessions'>, rules: readonly CompiledRule[] | undefined, request: AccessRequest): Promise<Decision> {
  const rule = findRule(rules, request.method, request.path);
  if (!rule) return forbidden(`No rule allows ${request.method.toUpperCase()} ${request.path}.`);
  if (rule.access === 'deny') return forbidden(`Rule ${rule.index} denies ${request.method.toUpperCase()} ${request.path}.`);
  if (rule.access === 'public') return { allow: true };
  const result = await context.sessions.check(request.req);
  if (result.state === 'unauthenticated') return denied('UNAUTHENTICATED', context, request.view);
  if (result.state === 'aal2_required') return denied('AAL2_REQUIRED', context, request.view);
  if (result.state === 'refresh_required') return denied('REFRESH_REQUIRED', context, request.view);
  const { session } = result;
  if (rule.aal2 && session.authenticator_assurance_level !== 'aal2') return denied('AAL2_REQUIRED', context, request.view);
  if (rule.maxAge !== undefined) {
    const at = session.authenticated_at?.getTime();
    if (at === undefined || Date.now() - at > rule.maxAge) return denied('REFRESH_REQUIRED', context, request.view);
  }
  if (rule.check && !(await rule.check(session, request.req))) return forbidden(`The check of rule ${rule.index} refused the session.`);
  return { allow: true, session };
}
