import type { IncomingMessage } from 'node:http';
import {
  FlowErrorFromJSON,
  LoginFlowFromJSON,
  RecoveryFlowFromJSON,
  RegistrationFlowFromJSON,
  SettingsFlowFromJSON,
  VerificationFlowFromJSON,
  type FlowError,
} from '@ory/kratos-client-fetch';
import { errorFromResponse, type KratosResponse } from '../kratos/client';
import { KratosExpressError } from '../kratos/errors';
import type { KratosContext } from '../context';
import type { AnyFlow, FlowType } from '../render/types';

/** What fetching a flow came to. */
export type FlowOutcome =
  | { kind: 'flow'; flow: AnyFlow }
  /** The flow is gone (404/410), CSRF-broken or someone else's: start a fresh one. */
  | { kind: 'restart'; reason: 'not_found' | 'expired' | 'csrf' | 'identity_mismatch'; returnTo?: string }
  /** No session (401): sign in first. */
  | { kind: 'login' }
  /** Kratos asks for a browser redirect (aal2, refresh, location change); the URL is still Kratos' raw value. */
  | { kind: 'redirect'; to: unknown; id: string }
  /** `session_already_available`: go back to the app. */
  | { kind: 'return' }
  /** An error Kratos wants shown to the user, as an error container. */
  | { kind: 'error'; status: number; error: FlowError };

const FROM_JSON: Record<FlowType, (json: unknown) => AnyFlow> = {
  login: LoginFlowFromJSON,
  registration: RegistrationFlowFromJSON,
  settings: SettingsFlowFromJSON,
  recovery: RecoveryFlowFromJSON,
  verification: VerificationFlowFromJSON,
};

const REDIRECT_IDS = new Set(['session_aal2_required', 'session_refresh_required', 'browser_location_change_required']);

interface ErrorEnvelope {
  error?: { id?: unknown; code?: unknown; message?: unknown; details?: Record<string, unknown> };
  redirect_browser_to?: unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function badResponse(response: KratosResponse, what: string): KratosExpressError {
  return new KratosExpressError('KRATOS_BAD_RESPONSE', `Kratos answered ${what} with 200 but the body is not what Kratos sends.`, {
    cause: { status: response.status, body: response.body ?? response.text.slice(0, 2048) },
  });
}

/** An error container for an error the kit raises itself (shown on the error page). */
export function errorContainer(status: number, statusText: string, message: string, reason?: string): FlowError {
  return { id: '', error: { code: status, status: statusText, message, ...(reason ? { reason } : {}) } };
}

/** Kratos' error body as an error container, for 4xx answers Kratos means for the user. */
function containerOf(response: KratosResponse): FlowError | undefined {
  const error = (response.body as ErrorEnvelope | undefined)?.error;
  if (!isObject(error) || typeof error.message !== 'string') return undefined;
  return { id: '', error };
}

function parseFlow(flow: FlowType, response: KratosResponse): AnyFlow {
  const body = response.body;
  const what = `GET /self-service/${flow}/flows`;
  if (!isObject(body) || typeof body.id !== 'string' || !isObject(body.ui) || !Array.isArray(body.ui.nodes)) throw badResponse(response, what);
  try {
    return FROM_JSON[flow](body);
  } catch {
    throw badResponse(response, what);
  }
}

/**
 * Fetches a flow with the browser's cookies (`GET /self-service/<flow>/flows?id=`) and classifies Kratos'
 * answer (CONTRACT §2.3). Failures of Kratos itself are thrown as `KratosExpressError`.
 */
export async function fetchFlow(context: KratosContext, flow: FlowType, id: string, req: IncomingMessage): Promise<FlowOutcome> {
  const response = await context.client.request({ path: `/self-service/${flow}/flows`, query: { id }, headers: { cookie: cookieHeader(req) } });
  if (response.status === 200) return { kind: 'flow', flow: parseFlow(flow, response) };
  const envelope = (isObject(response.body) ? response.body : {}) as ErrorEnvelope;
  const errorId = typeof envelope.error?.id === 'string' ? envelope.error.id : '';
  const details = isObject(envelope.error?.details) ? envelope.error.details : {};
  if (response.status === 404) return { kind: 'restart', reason: 'not_found' };
  if (response.status === 410) {
    const returnTo = details.return_to;
    return { kind: 'restart', reason: 'expired', ...(typeof returnTo === 'string' && returnTo !== '' ? { returnTo } : {}) };
  }
  if (errorId === 'security_csrf_violation') return { kind: 'restart', reason: 'csrf' };
  if (errorId === 'security_identity_mismatch') return { kind: 'restart', reason: 'identity_mismatch' };
  if (REDIRECT_IDS.has(errorId)) return { kind: 'redirect', to: envelope.redirect_browser_to ?? details.redirect_browser_to, id: errorId };
  if (errorId === 'session_already_available') return { kind: 'return' };
  if (response.status === 401) return { kind: 'login' };
  if (response.status >= 400 && response.status < 500 && response.status !== 429) {
    const error = containerOf(response);
    if (error) return { kind: 'error', status: response.status, error };
  }
  throw errorFromResponse(response, `GET /self-service/${flow}/flows`);
}

/** `GET /self-service/errors?id=`: the container, or `undefined` when Kratos does not know the id. */
export async function fetchError(context: KratosContext, id: string, req: IncomingMessage): Promise<FlowError | undefined> {
  const response = await context.client.request({ path: '/self-service/errors', query: { id }, headers: { cookie: cookieHeader(req) } });
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw errorFromResponse(response, 'GET /self-service/errors');
  if (!isObject(response.body) || !isObject(response.body.error)) throw badResponse(response, 'GET /self-service/errors');
  try {
    return FlowErrorFromJSON(response.body);
  } catch {
    throw badResponse(response, 'GET /self-service/errors');
  }
}

/** `GET /self-service/logout/browser`: Kratos' raw `logout_url`, or `undefined` without a session. */
export async function fetchLogoutUrl(context: KratosContext, req: IncomingMessage, returnTo?: string): Promise<unknown> {
  const response = await context.client.request({
    path: '/self-service/logout/browser',
    query: { return_to: returnTo },
    headers: { cookie: cookieHeader(req) },
  });
  if (response.status === 401 || response.status === 403) return undefined;
  if (response.status === 400) {
    const message = (response.body as ErrorEnvelope | undefined)?.error as { reason?: unknown; message?: unknown } | undefined;
    const text = typeof message?.reason === 'string' ? message.reason : typeof message?.message === 'string' ? message.message : 'Kratos refused to sign you out.';
    throw new KratosExpressError('BAD_REQUEST', text, { cause: { status: 400, body: response.body } });
  }
  if (response.status !== 200) throw errorFromResponse(response, 'GET /self-service/logout/browser');
  const url = isObject(response.body) ? response.body.logout_url : undefined;
  if (typeof url !== 'string') throw badResponse(response, 'GET /self-service/logout/browser');
  return url;
}

const MAX_COOKIE_HEADER = 16 * 1024;

/** The browser's Cookie header, forwarded to Kratos (its CSRF and session cookies), or `undefined`. */
export function cookieHeader(req: IncomingMessage): string | undefined {
  const value = req.headers.cookie;
  if (value === undefined || value === '') return undefined;
  if (value.length > MAX_COOKIE_HEADER || /[\0\r\n]/.test(value)) {
    throw new KratosExpressError('BAD_REQUEST', `The Cookie header is malformed or longer than ${MAX_COOKIE_HEADER} characters. Clear your cookies for this site and try again.`);
  }
  return value;
}
