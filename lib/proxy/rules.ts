import type { IncomingMessage } from 'node:http';
import type { Session } from '@ory/kratos-client-fetch';
import { describeValue, unknownOptionProblems } from '../kratos/config';
import { parseDuration } from '../kratos/duration';
import { compilePathPattern } from './paths';

/** One access rule of the gate or of forward-auth. The first rule matching path and method decides. */
export interface GateRule {
  /** Path patterns: a prefix (`/api`) or a glob (`/api/**`, `/assets/*.css`). */
  path: string | string[];
  /** Methods the rule applies to (default: all; `GET` includes `HEAD`). */
  methods?: string[];
  /** `session` (default): an active session is required; `public`: forwarded without a check; `deny`: always 403. */
  access?: 'public' | 'session' | 'deny';
  /** `aal2`: the session must have completed a second factor (else login with `aal=aal2`). */
  aal?: 'aal1' | 'aal2';
  /** Longest time since the user last signed in, in ms or as `'10m'` (else login with `refresh=true`). */
  maxAge?: number | string;
  /** Extra authorisation: `false` answers 403. */
  check?: (session: Session, req: IncomingMessage) => boolean | Promise<boolean>;
}

export interface CompiledRule {
  readonly index: number;
  readonly access: 'public' | 'session' | 'deny';
  readonly aal2: boolean;
  readonly maxAge?: number;
  readonly check?: GateRule['check'];
  matches(method: string, path: string): boolean;
}

const RULE_KEYS = ['path', 'methods', 'access', 'aal', 'maxAge', 'check'];
const METHOD = /^[A-Z]+$/;

/** The rule that applies when no `rules` are configured: every path needs a session. */
export const SESSION_EVERYWHERE: CompiledRule = Object.freeze({ index: -1, access: 'session', aal2: false, matches: () => true });

/** Validates `rules`; `undefined` when none are configured. */
export function compileRules(rules: unknown, problems: string[]): CompiledRule[] | undefined {
  if (rules === undefined) return undefined;
  if (!Array.isArray(rules)) {
    problems.push(`rules: ${describeValue(rules)} is not a list. Use for example [{ path: '/public/**', access: 'public' }, { path: '/' }].`);
    return undefined;
  }
  return rules.map((rule, index): CompiledRule => {
    const name = `rules[${index}]`;
    if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) {
      problems.push(`${name}: ${describeValue(rule)} is not a rule. Use an object such as { path: '/api/**', methods: ['GET'], access: 'session' }.`);
      return { index, access: 'deny', aal2: false, matches: () => false };
    }
    const r = rule as GateRule;
    problems.push(...unknownOptionProblems(r, RULE_KEYS).map((p) => `${name}.${p}`));
    const patterns = Array.isArray(r.path) ? r.path : [r.path];
    const matchers: Array<(path: string) => boolean> = [];
    if (patterns.length === 0) problems.push(`${name}.path: is empty. Give at least one path pattern.`);
    patterns.forEach((pattern, i) => {
      const compiled = compilePathPattern(pattern);
      if (typeof compiled === 'string') problems.push(`${name}.path${Array.isArray(r.path) ? `[${i}]` : ''}: ${describeValue(pattern)} ${compiled}. Use a prefix such as '/api' or a glob such as '/api/**'.`);
      else matchers.push(compiled);
    });
    let methods: Set<string> | undefined;
    if (r.methods !== undefined) {
      if (!Array.isArray(r.methods) || r.methods.length === 0 || !r.methods.every((m) => typeof m === 'string' && METHOD.test(m.toUpperCase()))) {
        problems.push(`${name}.methods: ${describeValue(r.methods)} is not a list of HTTP methods. Use for example ['GET', 'HEAD'].`);
      } else {
        methods = new Set(r.methods.map((m) => m.toUpperCase()));
        if (methods.has('GET')) methods.add('HEAD');
      }
    }
    const access = r.access ?? 'session';
    if (access !== 'public' && access !== 'session' && access !== 'deny') {
      problems.push(`${name}.access: ${describeValue(r.access)} is not one of 'public', 'session', 'deny'.`);
    }
    if (r.aal !== undefined && r.aal !== 'aal1' && r.aal !== 'aal2') problems.push(`${name}.aal: ${describeValue(r.aal)} is not 'aal1' or 'aal2'.`);
    let maxAge: number | undefined;
    if (r.maxAge !== undefined) {
      maxAge = parseDuration(r.maxAge);
      if (maxAge === undefined) problems.push(`${name}.maxAge: ${describeValue(r.maxAge)} is not a valid duration. Use milliseconds or a string such as '10m'.`);
    }
    if (r.check !== undefined && typeof r.check !== 'function') problems.push(`${name}.check: ${describeValue(r.check)} is not a function. Use (session, req) => boolean.`);
    if (access !== 'session' && (r.aal !== undefined || r.maxAge !== undefined || r.check !== undefined)) {
      problems.push(`${name}: aal, maxAge and check only apply to access 'session', but access is ${describeValue(access)}.`);
    }
    return {
      index,
      access: access === 'public' || access === 'deny' ? access : 'session',
      aal2: r.aal === 'aal2',
      maxAge,
      check: typeof r.check === 'function' ? r.check : undefined,
      matches: (method, path) => (!methods || methods.has(method)) && matchers.some((m) => m(path)),
    };
  });
}

/** The first rule matching; `undefined` when rules are configured and none matches (denied by default). */
export function findRule(rules: readonly CompiledRule[] | undefined, method: string, path: string): CompiledRule | undefined {
  if (!rules) return SESSION_EVERYWHERE;
  const upper = method.toUpperCase();
  return rules.find((rule) => rule.matches(upper, path));
}
