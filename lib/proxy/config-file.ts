import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { suggestName } from '../kratos/suggest';

/** Settings of `kratos-express gate` from a YAML or JSON file; command-line flags override them. */
export interface GateFileConfig {
  upstream?: string;
  kratos?: string;
  browserUrl?: string;
  host?: string;
  port?: number;
  rules?: Array<Record<string, unknown>>;
  headers?: Record<string, string> | false;
  jwt?: boolean | Record<string, unknown>;
  stripSessionCookie?: boolean;
  stripHeaders?: string[];
  trustedProxies?: string[];
  upstreamTimeout?: number | string;
  timeout?: number | string;
  cache?: false | { ttl: number | string; max?: number };
  allowedReturnUrls?: string[];
  sessionCookieName?: string;
  shutdownTimeout?: number | string;
}

const duration = { oneOf: [{ type: 'integer', minimum: 1 }, { type: 'string', pattern: '^\\d+(\\.\\d+)?(ms|s|m|h|d)$' }] };
const stringList = { type: 'array', items: { type: 'string', minLength: 1 } };

export const GATE_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    upstream: { type: 'string', minLength: 1 },
    kratos: { type: 'string', minLength: 1 },
    browserUrl: { type: 'string', minLength: 1 },
    host: { type: 'string', minLength: 1 },
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    rules: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path'],
        properties: {
          path: { oneOf: [{ type: 'string' }, stringList] },
          methods: stringList,
          access: { enum: ['public', 'session', 'deny'] },
          aal: { enum: ['aal1', 'aal2'] },
          maxAge: duration,
        },
      },
    },
    headers: { oneOf: [{ const: false }, { type: 'object', additionalProperties: { type: 'string' } }] },
    jwt: {
      oneOf: [
        { type: 'boolean' },
        {
          type: 'object',
          additionalProperties: false,
          properties: {
            header: { type: 'string' },
            algorithm: { enum: ['ES256', 'RS256'] },
            key: { type: 'string' },
            ttl: duration,
            issuer: { type: 'string' },
            audience: { oneOf: [{ type: 'string' }, stringList] },
            claims: { type: 'object', additionalProperties: { type: 'string' } },
            jwksPath: { oneOf: [{ type: 'string' }, { const: false }] },
            tokenizeAs: { type: 'string' },
          },
        },
      ],
    },
    stripSessionCookie: { type: 'boolean' },
    stripHeaders: stringList,
    trustedProxies: stringList,
    upstreamTimeout: duration,
    timeout: duration,
    cache: { oneOf: [{ const: false }, { type: 'object', additionalProperties: false, required: ['ttl'], properties: { ttl: duration, max: { type: 'integer', minimum: 1 } } }] },
    allowedReturnUrls: stringList,
    sessionCookieName: { type: 'string' },
    shutdownTimeout: duration,
  },
} as const;

const validate = new Ajv({ allErrors: true, strict: true }).compile(GATE_CONFIG_SCHEMA);

/** `/rules/0/access` => `rules[0].access` */
const keyOf = (pointer: string): string =>
  pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')).reduce((out, part) => (/^\d+$/.test(part) ? `${out}[${part}]` : out ? `${out}.${part}` : part), '');

function knownKeysAt(pointer: string): string[] {
  let schema: Record<string, unknown> = GATE_CONFIG_SCHEMA as unknown as Record<string, unknown>;
  for (const part of pointer.split('/').slice(1)) {
    if (/^\d+$/.test(part)) schema = (schema.items as Record<string, unknown>) ?? {};
    else {
      const next = (schema.properties as Record<string, Record<string, unknown>> | undefined)?.[part] ?? {};
      schema = (next.oneOf as Array<Record<string, unknown>> | undefined)?.find((s) => s.type === 'object') ?? next;
    }
  }
  return Object.keys((schema.properties as object | undefined) ?? {});
}

/** One line per problem, each naming the key, e.g. `rules[0].access: must be one of public, session, deny`. */
export function describeSchemaErrors(errors: readonly ErrorObject[]): string[] {
  const out = new Set<string>();
  const oneOfPaths = new Set(errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
  for (const e of errors) {
    const key = keyOf(e.instancePath) || '(top level)';
    if (e.keyword === 'additionalProperties') {
      const name = (e.params as { additionalProperty: string }).additionalProperty;
      const known = knownKeysAt(e.instancePath);
      const suggestion = suggestName(name, known);
      const full = e.instancePath ? `${keyOf(e.instancePath)}.${name}` : name;
      out.add(`${full}: unknown key.${suggestion ? ` Did you mean ${suggestion}?` : ` Known keys: ${known.join(', ')}.`}`);
    } else if (e.keyword === 'enum') {
      out.add(`${key}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}.`);
    } else if (oneOfPaths.has(e.instancePath) && e.keyword !== 'oneOf') {
      continue;
    } else if (e.keyword === 'oneOf') {
      out.add(`${key}: has the wrong type or format (${JSON.stringify(e.data)}). See kratos-express gate --help.`);
    } else {
      out.add(`${key}: ${e.message}.`);
    }
  }
  return [...out];
}

/** Thrown for an unreadable or invalid configuration file; `message` lists every problem. */
export class GateConfigFileError extends Error {
  readonly code = 'GATE_CONFIG_INVALID';
  constructor(file: string, problems: readonly string[]) {
    super(`Invalid gate configuration ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Reads and validates a gate configuration file (`.yml`/`.yaml` or `.json`). A relative `jwt.key` is resolved
 * against the file's directory.
 */
export function loadGateConfig(file: string): GateFileConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new GateConfigFileError(file, [`cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`]);
  }
  let data: unknown;
  try {
    data = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new GateConfigFileError(file, [`is not valid ${extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`]);
  }
  if (data === null || data === undefined) data = {};
  if (!validate(data)) throw new GateConfigFileError(file, describeSchemaErrors(validate.errors ?? []));
  const config = data as GateFileConfig;
  if (config.jwt && typeof config.jwt === 'object' && typeof config.jwt.key === 'string' && !isAbsolute(config.jwt.key)) {
    config.jwt = { ...config.jwt, key: resolve(dirname(file), config.jwt.key) };
  }
  return config;
}
