import type { IncomingMessage, ServerResponse } from 'node:http';
import { contextFor, type KratosContext } from '../context';
import { KratosConfigError, KRATOS_OPTION_NAMES, unknownOptionProblems, type KratosOptions } from '../kratos/config';
import { sendJsonError } from './respond';

/**
 * The context of a proxy factory: the shared one of its Kratos options (one pool, one cache per configuration),
 * or `context` when given (then Kratos options are refused). Every problem, the factory's own included, is
 * thrown in one `KratosConfigError`.
 */
export function resolveContext(options: KratosOptions, ownNames: readonly string[], problems: string[], context?: KratosContext): KratosContext {
  if (context) {
    const given = KRATOS_OPTION_NAMES.filter((name) => (options as Record<string, unknown>)[name] !== undefined);
    for (const name of given) problems.push(`${name}: is set by the kit's shared configuration here (createKratos). Pass it to createKratos() instead.`);
    problems.push(...unknownOptionProblems(options, [...ownNames, ...KRATOS_OPTION_NAMES]));
    if (problems.length > 0) throw new KratosConfigError(problems);
    return context;
  }
  return contextFor(options, process.env, ownNames, problems);
}

/** Rejects a non-object options argument (and `app.use(authGate)` without calling the factory). */
export function optionsObject<T>(value: T, factory: string, example: string): T & object {
  const v = value as { headers?: unknown; socket?: unknown } | undefined;
  if (v && typeof v === 'object' && v.headers && v.socket) {
    throw new KratosConfigError([`options: ${factory} was mounted without being called. Use app.use(${factory}(${example})), not app.use(${factory}).`]);
  }
  if ((value as unknown) !== undefined && (value === null || typeof value !== 'object' || Array.isArray(value))) {
    const hint = typeof value === 'function' ? ` It looks like ${factory} itself was passed as middleware: call it, app.use(${factory}(${example})).` : '';
    throw new KratosConfigError([`options: ${typeof value === 'function' ? 'a function' : JSON.stringify(value)} is not an options object.${hint}`]);
  }
  return (value ?? {}) as T & object;
}

/** Hands an error to Express/Connect (`next(err)`) or, on plain `http`, answers it as JSON. */
export function failWith(res: ServerResponse, next: ((err?: unknown) => void) | undefined, err: unknown): void {
  if (next) return next(err);
  if (res.headersSent) return void res.destroy();
  sendJsonError(res, err);
}

/** The path of the request as the app received it (`originalUrl` under Express mounts). */
export const originalUrl = (req: IncomingMessage): string => (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
