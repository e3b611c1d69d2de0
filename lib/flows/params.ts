import type { IncomingMessage } from 'node:http';
import type { ResolvedKratosConfig } from '../kratos/config';
import { safeReturnTo } from '../kratos/request';
import type { FlowType } from '../render/types';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CHALLENGE = /^[A-Za-z0-9._~-]{1,1024}$/;
const TRAIT_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

type Check = (value: string, req: IncomingMessage, config: ResolvedKratosConfig) => string | undefined;

const returnUrl: Check = (value, req, config) => safeReturnTo(value, req, config);
const PARAM_CHECKS: Record<string, { check: Check; expected: string }> = {
  return_to: { check: returnUrl, expected: 'a path of this site or an allowed URL' },
  after_verification_return_to: { check: returnUrl, expected: 'a path of this site or an allowed URL' },
  refresh: { check: (v) => (v === 'true' || v === 'false' ? v : undefined), expected: 'true or false' },
  aal: { check: (v) => (/^aal[12]$/i.test(v) ? v.toLowerCase() : undefined), expected: 'aal1 or aal2' },
  login_challenge: { check: (v) => (CHALLENGE.test(v) ? v : undefined), expected: 'an OAuth2 login challenge' },
  organization: { check: (v) => (UUID.test(v) ? v.toLowerCase() : undefined), expected: 'a UUID' },
  via: { check: (v) => (TRAIT_NAME.test(v) ? v : undefined), expected: 'the name of an identifier trait' },
};

/** The query parameters Kratos accepts when each flow is started (CONTRACT §2.2). */
export const FLOW_PARAMS: Record<FlowType, readonly string[]> = {
  login: ['return_to', 'refresh', 'aal', 'login_challenge', 'organization', 'via'],
  registration: ['return_to', 'login_challenge', 'organization', 'after_verification_return_to'],
  settings: ['return_to'],
  recovery: ['return_to'],
  verification: ['return_to'],
};

export type ParamResult = { params: Record<string, string> } | { problem: string };

function shown(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}...` : value);
}

/**
 * Picks and validates the parameters of `flow` from a query. Empty values count as absent (the reference
 * UI sends `?aal=&refresh=`); a repeated or invalid value is a problem naming the parameter.
 *
 * @example
 * flowParams('login', new URLSearchParams('aal=aal2&return_to=/x'), req, config);
 * // { params: { aal: 'aal2', return_to: 'https://app.example.com/x' } }
 */
export function flowParams(flow: FlowType, query: URLSearchParams, req: IncomingMessage, config: ResolvedKratosConfig): ParamResult {
  const params: Record<string, string> = {};
  for (const name of FLOW_PARAMS[flow]) {
    const values = query.getAll(name).filter((value) => value !== '');
    if (values.length === 0) continue;
    const { check, expected } = PARAM_CHECKS[name];
    if (values.length > 1) return { problem: `The ${name} parameter is given ${values.length} times; give it once.` };
    const valid = check(values[0], req, config);
    if (valid === undefined) return { problem: `The ${name} parameter ${shown(values[0])} is not allowed: it must be ${expected}.` };
    params[name] = valid;
  }
  return { params };
}

/** A URL with `params` appended to its query. */
export function withParams(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url.href;
}
