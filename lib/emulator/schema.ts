import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { SchemaConfig } from './config-types';
import { T, type UiText } from './messages';
import { input, type NodeGroup, type UiNode } from './nodes';
import { getPath, isPlainObject } from './util';

interface KratosExtension {
  credentials?: Record<string, { identifier?: boolean; via?: string }>;
  verification?: { via?: string };
  recovery?: { via?: string };
}

export interface TraitField {
  /** Dotted path below `traits` (`email`, `name.first`). */
  path: string;
  schema: Record<string, unknown>;
  required: boolean;
  ext: KratosExtension;
}

export interface TraitError {
  /** Node name (`traits.email`), or undefined for errors on the traits object itself. */
  name?: string;
  message: UiText;
}

export interface Address {
  value: string;
  via: 'email' | 'sms';
}

const ORY_KEYWORD = 'ory.sh/kratos';

function resolveLocal(root: Record<string, unknown>, node: unknown): Record<string, unknown> | undefined {
  let cur = node;
  for (let i = 0; i < 10 && isPlainObject(cur) && typeof cur.$ref === 'string' && cur.$ref.startsWith('#/'); i++) {
    cur = getPath(root, cur.$ref.slice(2).split('/').join('.'));
  }
  return isPlainObject(cur) ? cur : undefined;
}

function collectFields(root: Record<string, unknown>, node: Record<string, unknown>, prefix: string, out: TraitField[]): void {
  const props = isPlainObject(node.properties) ? node.properties : {};
  const required = Array.isArray(node.required) ? (node.required as unknown[]) : [];
  for (const [key, raw] of Object.entries(props)) {
    const schema = resolveLocal(root, raw);
    if (!schema) continue;
    const path = prefix ? `${prefix}.${key}` : key;
    if (schema.type === 'object' || (schema.type === undefined && isPlainObject(schema.properties))) {
      collectFields(root, schema, path, out);
      continue;
    }
    const itemExt = isPlainObject(schema.items) ? (schema.items as Record<string, unknown>)[ORY_KEYWORD] : undefined;
    const ext = (isPlainObject(schema[ORY_KEYWORD]) ? schema[ORY_KEYWORD] : isPlainObject(itemExt) ? itemExt : {}) as KratosExtension;
    out.push({ path, schema, required: required.includes(key), ext });
  }
}

function inputType(schema: Record<string, unknown>): { type: string; autocomplete?: string } {
  const t = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (t === 'number' || t === 'integer') return { type: 'number' };
  if (t === 'boolean') return { type: 'checkbox' };
  switch (schema.format) {
    case 'email':
      return { type: 'email', autocomplete: 'email' };
    case 'tel':
      return { type: 'tel', autocomplete: 'tel' };
    case 'date-time':
      return { type: 'datetime-local' };
    case 'date':
      return { type: 'date' };
    case 'uri':
      return { type: 'url', autocomplete: 'url' };
    default:
      return { type: 'text' };
  }
}

const jsonType = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);

function toMessage(e: ErrorObject, data: unknown): TraitError {
  const base = e.instancePath.replace(/^\/traits\/?/, '').split('/').filter(Boolean).join('.');
  const p = e.params as Record<string, unknown>;
  const name = (sub: string) => `traits${sub ? '.' + sub : ''}`;
  const value = getPath(data, ['traits', ...(base ? base.split('.') : [])].join('.'));
  switch (e.keyword) {
    case 'required': {
      const prop = String(p.missingProperty);
      return { name: name(base ? `${base}.${prop}` : prop), message: T.required(prop) };
    }
    case 'minLength':
      return { name: name(base), message: T.minLength(Number(p.limit), typeof value === 'string' ? [...value].length : 0) };
    case 'maxLength':
      return { name: name(base), message: T.maxLength(Number(p.limit), typeof value === 'string' ? [...value].length : 0) };
    case 'pattern':
      return { name: name(base), message: T.pattern(String(p.pattern)) };
    case 'type':
      return { name: name(base), message: T.wrongType(String(p.type).split(','), jsonType(value)) };
    case 'format':
      return { name: name(base), message: T.generic(`${JSON.stringify(value)} is not valid ${JSON.stringify(p.format)}`) };
    case 'additionalProperties':
      return { name: base ? name(base) : undefined, message: T.generic(`additionalProperties ${JSON.stringify(p.additionalProperty)} not allowed`) };
    default:
      return { name: base ? name(base) : undefined, message: T.generic(e.message ?? 'validation failed') };
  }
}

/** One identity schema: validation, addresses and credential identifiers derived from `ory.sh/kratos`, UI nodes. */
export class IdentitySchema {
  readonly fields: TraitField[] = [];
  private readonly validateFn: ValidateFunction;

  constructor(readonly config: SchemaConfig, ajv: Ajv) {
    this.validateFn = ajv.compile(config.schema);
    const traits = resolveLocal(config.schema, getPath(config.schema, 'properties.traits'));
    if (traits) collectFields(config.schema, traits, '', this.fields);
  }

  get id(): string {
    return this.config.id;
  }

  /**
   * Converts form-encoded trait strings to the schema's types (numbers, booleans) and drops empty form values,
   * as Kratos' schema-aware body decoder does. JSON bodies keep their types.
   */
  coerce(traits: unknown, fromForm: boolean): Record<string, unknown> {
    const out = isPlainObject(traits) ? structuredClone(traits) : {};
    if (!fromForm) return out;
    for (const f of this.fields) {
      const parts = f.path.split('.');
      const parent = parts.slice(0, -1).reduce<unknown>((o, k) => (isPlainObject(o) ? o[k] : undefined), out);
      const key = parts[parts.length - 1];
      if (!isPlainObject(parent) || typeof parent[key] !== 'string') continue;
      const v = parent[key] as string;
      const t = Array.isArray(f.schema.type) ? f.schema.type[0] : f.schema.type;
      if (v === '') delete parent[key];
      else if ((t === 'number' || t === 'integer') && v.trim() !== '' && !Number.isNaN(Number(v))) parent[key] = Number(v);
      else if (t === 'boolean') parent[key] = v === 'true' || v === 'on' || v === '1';
    }
    return out;
  }

  /** Validates traits; returns Kratos UI messages (empty when valid). */
  validate(traits: unknown): TraitError[] {
    const data = { traits };
    if (this.validateFn(data)) return [];
    return (this.validateFn.errors ?? []).map((e) => toMessage(e, data));
  }

  private values(traits: unknown, pick: (f: TraitField) => boolean): string[] {
    const out: string[] = [];
    for (const f of this.fields) {
      if (!pick(f)) continue;
      const v = getPath(traits, f.path);
      for (const item of Array.isArray(v) ? v : [v]) {
        if (typeof item === 'string' && item.trim()) out.push(item.trim().toLowerCase());
      }
    }
    return [...new Set(out)];
  }

  /** Identifiers of a credential type (`password`, `code`, ...), lower-cased as Kratos stores them. */
  identifiers(traits: unknown, type = 'password'): string[] {
    return this.values(traits, (f) => f.ext.credentials?.[type]?.identifier === true);
  }

  private addresses(traits: unknown, key: 'verification' | 'recovery'): Address[] {
    const out: Address[] = [];
    for (const f of this.fields) {
      const via = f.ext[key]?.via;
      if (via !== 'email' && via !== 'sms') continue;
      for (const value of this.values(traits, (x) => x === f)) out.push({ value, via });
    }
    return out;
  }

  verifiableAddresses = (traits: unknown): Address[] => this.addresses(traits, 'verification');
  recoveryAddresses = (traits: unknown): Address[] => this.addresses(traits, 'recovery');

  /** Fields that are password identifiers (drives the login identifier label). */
  identifierFields(type = 'password'): TraitField[] {
    return this.fields.filter((f) => f.ext.credentials?.[type]?.identifier === true);
  }

  /** One input per trait, as Kratos' container.NewFromJSONSchema builds them. */
  traitNodes(group: NodeGroup, traits?: unknown): UiNode[] {
    return this.fields.map((f) => {
      const { type, autocomplete } = inputType(f.schema);
      const label = typeof f.schema.title === 'string' ? T.schemaTitle(f.schema.title) : undefined;
      return input(
        group,
        `traits.${f.path}`,
        type,
        { value: traits === undefined ? undefined : getPath(traits, f.path), required: f.required, autocomplete, pattern: typeof f.schema.pattern === 'string' ? f.schema.pattern : undefined },
        label,
      );
    });
  }
}

/** Compiles every configured identity schema once. */
export function compileSchemas(schemas: SchemaConfig[]): { schemas: Map<string, IdentitySchema>; problems: string[] } {
  const map = new Map<string, IdentitySchema>();
  const problems: string[] = [];
  schemas.forEach((s, i) => {
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
    addFormats(ajv);
    ajv.addFormat('tel', /^\+?[0-9 ()./-]{5,}$/);
    try {
      map.set(s.id, new IdentitySchema(s, ajv));
    } catch (err) {
      problems.push(`identity.schemas[${i}].url: ${JSON.stringify(s.url)} is not a valid JSON schema (${(err as Error).message}).`);
    }
  });
  return { schemas: map, problems };
}
