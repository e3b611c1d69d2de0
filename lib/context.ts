import { KratosClient } from './kratos/client';
import { checkKratosOptions, KratosConfigError, resolveConfig, type KratosOptions, type ResolvedKratosConfig } from './kratos/config';
import { SessionCore } from './session/core';

/**
 * Everything the kit's middleware shares for one configuration: the resolved options, one Kratos client
 * (one keep-alive pool) and one session checker (one coalescing map, one cache).
 */
export interface KratosContext {
  readonly config: ResolvedKratosConfig;
  readonly client: KratosClient;
  readonly sessions: SessionCore;
  /** Closes the keep-alive pool. */
  close(): Promise<void>;
}

/**
 * Creates a context of its own (not shared). Throws `KratosConfigError` listing every invalid option.
 *
 * @example
 * const context = createContext({ publicUrl: 'http://127.0.0.1:4433', browserUrl: '/.ory' });
 * const res = await context.client.request({ path: '/self-service/login/flows', query: { id } });
 */
export function createContext(options: KratosOptions = {}, env: NodeJS.ProcessEnv = process.env): KratosContext {
  return contextFromConfig(resolveConfig(options, env));
}

/** Creates a context from an already resolved configuration. */
export function contextFromConfig(config: ResolvedKratosConfig): KratosContext {
  const client = new KratosClient(config);
  const sessions = new SessionCore(config, client);
  return { config, client, sessions, close: () => client.close() };
}

const shared = new Map<string, KratosContext>();

/**
 * The shared context of a configuration, used by the standalone factories: `requireSession()` on two
 * routes (and `optionalSession()` at the app level) with equal options share one pool, one cache and
 * one coalescing map. `extraOptionNames` are options of the calling factory, validated by it; their
 * problems are reported together with the Kratos options' in one `KratosConfigError`.
 *
 * @example
 * const context = contextFor({ timeout: '2s' }); // publicUrl from KRATOS_PUBLIC_URL
 */
export function contextFor(
  options: KratosOptions = {},
  env: NodeJS.ProcessEnv = process.env,
  extraOptionNames: readonly string[] = [],
  extraProblems: readonly string[] = [],
): KratosContext {
  const { config, problems } = checkKratosOptions(options, env, extraOptionNames);
  if (!config || extraProblems.length > 0) throw new KratosConfigError([...problems, ...extraProblems]);
  let context = shared.get(config.key);
  if (!context) shared.set(config.key, (context = contextFromConfig(config)));
  return context;
}

/** Closes and forgets every shared context (for tests and graceful shutdown). */
export async function closeSharedContexts(): Promise<void> {
  const contexts = [...shared.values()];
  shared.clear();
  await Promise.all(contexts.map((context) => context.close()));
}
