import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { ResponseEvent } from '../../lib/emulator';

/** A JSON Schema (draft-07) object as ajv compiles it. */
export type JsonSchema = Record<string, unknown>;

/**
 * The response documented by the spec for one operation and status: a component schema name, an inline
 * JSON Schema, or `null` when the spec documents that response without a JSON body (for example 303/204).
 */
export type ResponseSchema = string | JsonSchema | null;

/** What the emulator reports for every response it sends (the `onResponse` option of the emulator). */
export type { ResponseEvent };

export interface ResponseValidator {
  onResponse(event: ResponseEvent): void;
  readonly violations: string[];
  /** Throws an Error listing every violation recorded so far (does nothing when there is none). */
  assertClean(): void;
}

export interface ResponseValidatorOptions {
  /** Route templates of non-Kratos endpoints whose bodies are not checked (none by default). */
  ignoreRoutes?: readonly string[];
}

/** The repository's copy of `shared/kratos/` (openapi.json, fixtures/, config/). */
export const KRATOS_FIXTURES_DIR = join(__dirname, '..', 'fixtures', 'kratos');
export const OPENAPI_PATH = join(KRATOS_FIXTURES_DIR, 'openapi.json');

/** Absolute path of a file in the repository's copy of `shared/kratos/`. */
export function kratosFixturePath(...segments: string[]): string {
  return join(KRATOS_FIXTURES_DIR, ...segments);
}

const SPEC_ID = 'https://kratos-express.test/kratos-openapi.json';
const COMPONENT_REF = '#/components/schemas/';
const RESPONSE_REF = '#/components/responses/';
const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
const SUBMIT_ROUTES = new Set(
  ['login', 'registration', 'settings', 'recovery', 'verification'].map((flow) => `/self-service/${flow}`),
);

/**
 * Places where the spec contradicts every real Kratos response, with the evidence. Only these are changed.
 * `genericError.details` is declared `additionalProperties: false`, yet Kratos fills it on many errors
 * (CONTRACT §2.1 session_aal2_required `details.redirect_browser_to`, §3.3 CSRF `details.docs/hint/
 * reject_reason`, §2.3 expired flows `details.redirect_to`), and the official SDK types it as `object`.
 */
const SPEC_DEFECTS: ReadonlyArray<{ schema: string; property: string; replace: JsonSchema }> = [
  { schema: 'genericError', property: 'details', replace: { type: 'object', description: 'Further error details' } },
  // `errorBrowserLocationChangeRequired.error` points at the wrapper `errorGeneric` (`{error:{error:{...}}}`),
  // while Kratos writes the error object itself there (CONTRACT §5.2 quotes the body).
  { schema: 'errorBrowserLocationChangeRequired', property: 'error', replace: { $ref: `${SPEC_ID}#/definitions/genericError` } },
];

interface OpenApiResponse {
  $ref?: string;
  content?: Record<string, { schema?: JsonSchema }>;
}
interface OpenApiOperation {
  responses: Record<string, OpenApiResponse>;
}
interface OpenApiSpec {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema>; responses: Record<string, OpenApiResponse> };
}

const SCHEMA_MAP_KEYWORDS = new Set(['properties', 'patternProperties', 'definitions']);
const SCHEMA_KEYWORDS = new Set(['additionalProperties', 'items', 'not', 'additionalItems', 'contains', 'propertyNames']);
const SCHEMA_LIST_KEYWORDS = new Set(['allOf', 'anyOf', 'oneOf']);
const OPENAPI_ONLY_KEYWORDS = new Set(['example', 'xml', 'externalDocs', 'nullable']);

/** Rewrites one OpenAPI 3.0 schema object as JSON Schema draft-07 (refs become absolute ids). */
export function openApiToJsonSchema(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return schema;
  const source = schema as JsonSchema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(source)) {
    if (key.startsWith('x-') || OPENAPI_ONLY_KEYWORDS.has(key)) continue;
    if (key === '$ref') out.$ref = absoluteRef(String(value));
    else if (key === 'discriminator') out.discriminator = { propertyName: (value as JsonSchema).propertyName };
    else if (SCHEMA_MAP_KEYWORDS.has(key)) out[key] = mapValues(value as JsonSchema, openApiToJsonSchema);
    else if (SCHEMA_KEYWORDS.has(key)) out[key] = openApiToJsonSchema(value);
    else if (SCHEMA_LIST_KEYWORDS.has(key)) out[key] = (value as unknown[]).map(openApiToJsonSchema);
    else out[key] = value;
  }
  if (source.nullable !== true) return out;
  if (typeof out.type === 'string' && out.enum === undefined) return { ...out, type: [out.type, 'null'] };
  return { anyOf: [out, { type: 'null' }] };
}

function absoluteRef(ref: string): string {
  if (!ref.startsWith(COMPONENT_REF)) throw new Error(`openapi: unsupported $ref "${ref}"`);
  return `${SPEC_ID}#/definitions/${ref.slice(COMPONENT_REF.length)}`;
}

function mapValues(record: JsonSchema, fn: (value: unknown) => unknown): JsonSchema {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, fn(value)]));
}

function readSpec(): OpenApiSpec {
  return JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')) as OpenApiSpec;
}

function buildDefinitions(spec: OpenApiSpec): JsonSchema {
  const definitions = mapValues(spec.components.schemas, openApiToJsonSchema) as Record<string, JsonSchema>;
  for (const defect of SPEC_DEFECTS) {
    const properties = definitions[defect.schema]?.properties as Record<string, unknown> | undefined;
    if (!properties || !(defect.property in properties)) {
      throw new Error(`openapi: spec defect entry ${defect.schema}.${defect.property} no longer matches the spec`);
    }
    properties[defect.property] = defect.replace;
  }
  return definitions;
}

function uint(bits: number) {
  const max = 2 ** bits - 1;
  return { type: 'number' as const, validate: (n: number) => Number.isInteger(n) && n >= 0 && n <= max };
}

function createAjv(definitions: JsonSchema): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    discriminator: true,
    allowUnionTypes: true,
    strictSchema: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
  });
  addFormats(ajv);
  ajv.addFormat('uuid4', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i);
  ajv.addFormat('uint8', uint(8));
  ajv.addFormat('uint32', uint(32));
  ajv.addFormat('uint64', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 });
  ajv.addSchema({ $id: SPEC_ID, definitions });
  return ajv;
}

let state: { spec: OpenApiSpec; ajv: Ajv; byName: Map<string, ValidateFunction>; bySchema: WeakMap<object, ValidateFunction> } | undefined;

function load() {
  if (!state) {
    const spec = readSpec();
    state = { spec, ajv: createAjv(buildDefinitions(spec)), byName: new Map(), bySchema: new WeakMap() };
  }
  return state;
}

/** The parsed Kratos OpenAPI document (the repository's copy of `shared/kratos/openapi.json`). */
export function kratosOpenApi(): Readonly<OpenApiSpec> {
  return load().spec;
}

function validatorFor(schema: string | JsonSchema): ValidateFunction {
  const { ajv, spec, byName, bySchema } = load();
  if (typeof schema === 'string') {
    let fn = byName.get(schema);
    if (!fn) {
      if (!(schema in spec.components.schemas)) throw new Error(`openapi: no component schema named "${schema}"`);
      fn = ajv.getSchema(`${SPEC_ID}#/definitions/${schema}`);
      if (!fn) throw new Error(`openapi: could not compile component schema "${schema}"`);
      byName.set(schema, fn);
    }
    return fn;
  }
  let fn = bySchema.get(schema);
  if (!fn) {
    fn = ajv.compile(openApiToJsonSchema(schema) as JsonSchema);
    bySchema.set(schema, fn);
  }
  return fn;
}

function pointerGet(value: unknown, pointer: string): unknown {
  if (pointer === '') return value;
  let current: unknown = value;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function snippet(value: unknown, max = 160): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function describeError(error: ErrorObject, value: unknown): string {
  const at = error.instancePath || '/';
  const params = Object.keys(error.params).length > 0 ? ` ${JSON.stringify(error.params)}` : '';
  return `${at} ${error.message ?? 'is invalid'}${params} (got ${snippet(pointerGet(value, error.instancePath), 80)})`;
}

/**
 * Validates a value against a component schema of the spec (by name, e.g. `session`) or an inline
 * OpenAPI schema. Returns readable errors, empty when the value is valid.
 */
export function validateSchema(schema: string | JsonSchema, value: unknown): string[] {
  const validate = validatorFor(schema);
  if (validate(value)) return [];
  return (validate.errors ?? []).map((error) => describeError(error, value));
}

/** Jest-style assertion: throws a readable error naming the schema, each problem and the value. */
export function expectSchema(schema: string | JsonSchema, value: unknown): void {
  const errors = validateSchema(schema, value);
  if (errors.length === 0) return;
  const name = typeof schema === 'string' ? schema : 'inline schema';
  throw new Error(`expected value to match OpenAPI schema "${name}":\n  - ${errors.join('\n  - ')}\nvalue: ${snippet(value, 600)}`);
}

type Lookup =
  | { kind: 'json'; schema: string | JsonSchema; explicit: boolean }
  | { kind: 'empty'; explicit: boolean }
  | { kind: 'undocumented'; reason: string };

function operationMethod(method: string, route: string, operations: Record<string, OpenApiOperation>): string | undefined {
  const lower = method.toLowerCase();
  if (operations[lower]) return lower;
  if (lower === 'head' && operations.get) return 'get';
  if (route === '/sessions/whoami' && operations.get) return 'get';
  if (lower === 'get' && SUBMIT_ROUTES.has(route) && operations.post) return 'post';
  return undefined;
}

function lookupResponse(method: string, route: string, status: number): Lookup {
  const { spec } = load();
  const operations = spec.paths[route];
  if (!operations) return { kind: 'undocumented', reason: `route "${route}" is not a path of the spec` };
  const opMethod = operationMethod(method, route, operations);
  if (!opMethod || !HTTP_METHODS.has(opMethod)) {
    return { kind: 'undocumented', reason: `the spec has no ${method.toUpperCase()} operation for "${route}"` };
  }
  const responses = operations[opMethod].responses;
  const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => k in responses);
  if (!key) {
    return { kind: 'undocumented', reason: `status ${status} is not documented (documented: ${Object.keys(responses).join(', ')})` };
  }
  let response = responses[key];
  if (response.$ref) {
    if (!response.$ref.startsWith(RESPONSE_REF)) throw new Error(`openapi: unsupported response $ref "${response.$ref}"`);
    response = spec.components.responses[response.$ref.slice(RESPONSE_REF.length)];
  }
  const explicit = key !== 'default';
  const schema = response.content?.['application/json']?.schema;
  if (!schema) return { kind: 'empty', explicit };
  if (typeof schema.$ref === 'string' && Object.keys(schema).length === 1 && schema.$ref.startsWith(COMPONENT_REF)) {
    return { kind: 'json', schema: schema.$ref.slice(COMPONENT_REF.length), explicit };
  }
  return { kind: 'json', schema, explicit };
}

/**
 * The schema the spec documents for a response: walks `paths[routeTemplate][method].responses[status]`
 * (falling back to `default`). Returns the component schema name (`'session'`), an inline schema, `null`
 * when the response is documented without a JSON body, or `undefined` when it is not documented at all.
 * `HEAD` uses `GET`, whoami answers every method like `GET`, and `GET` on a flow submit route (link
 * callbacks) uses the `POST` operation.
 */
export function schemaForResponse(method: string, routeTemplate: string, status: number): ResponseSchema | undefined {
  const found = lookupResponse(method, routeTemplate, status);
  if (found.kind === 'json') return found.schema;
  if (found.kind === 'empty') return null;
  return undefined;
}

function isJsonContentType(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/json(\s*;|$)/i.test(contentType.trim());
}

/**
 * Collects spec violations of every response the emulator reports. JSON bodies are validated against
 * `schemaForResponse(method, route, status)`; a JSON body where the spec documents none, a body on an
 * undocumented route or status, a JSON body without a JSON content type, and an empty response (no body,
 * no content type) where the spec documents a JSON body for that exact status are all recorded. Non-JSON
 * bodies (plain text, scripts, injected faults) are reported with `body: undefined` and are not checked.
 */
export function createResponseValidator(options: ResponseValidatorOptions = {}): ResponseValidator {
  const ignored = new Set(options.ignoreRoutes ?? []);
  const violations: string[] = [];

  function record(event: ResponseEvent, problem: string): void {
    const where = `${event.method.toUpperCase()} ${event.path} [${event.server} ${event.route || '(no route)'}] -> ${event.status}`;
    violations.push(`${where}: ${problem}\n    body: ${snippet(event.body, 400)}`);
  }

  function onResponse(event: ResponseEvent): void {
    if (event.route && ignored.has(event.route)) return;
    if (!event.route) {
      if (event.body !== undefined) record(event, 'JSON body sent on a path that matched no spec route');
      return;
    }
    const found = lookupResponse(event.method, event.route, event.status);
    if (found.kind === 'undocumented') {
      if (event.body !== undefined) record(event, found.reason);
      return;
    }
    if (event.body === undefined) {
      const nothingSent = event.contentType === undefined;
      if (nothingSent && found.kind === 'json' && found.explicit && event.method.toUpperCase() !== 'HEAD') {
        record(event, `the spec documents a JSON body (${schemaLabel(found.schema)}) but none was sent`);
      }
      return;
    }
    if (found.kind === 'empty') {
      record(event, 'JSON body sent where the spec documents an empty response');
      return;
    }
    if (!isJsonContentType(event.contentType)) {
      record(event, `JSON body sent with Content-Type ${JSON.stringify(event.contentType ?? null)}`);
    }
    const schema = submitErrorSchema(event) ?? found.schema;
    const errors = validateSchema(schema, event.body);
    if (errors.length > 0) record(event, `does not match ${schemaLabel(schema)}:\n    - ${errors.join('\n    - ')}`);
  }

  return {
    onResponse,
    violations,
    assertClean() {
      if (violations.length === 0) return;
      throw new Error(`${violations.length} response(s) violate the Kratos OpenAPI spec:\n${violations.map((v) => `  * ${v}`).join('\n')}`);
    },
  };
}

/**
 * The spec documents a flow submit's 400 only as the flow with validation messages, but Kratos also answers
 * 400 with an error envelope there: a missing or malformed `?flow=` (CONTRACT §2.4) and
 * `session_already_available` (§5.2). Such a body is checked against `errorGeneric`.
 */
function submitErrorSchema(event: ResponseEvent): string | undefined {
  const isError = typeof event.body === 'object' && event.body !== null && 'error' in event.body && !('ui' in event.body);
  return event.status === 400 && SUBMIT_ROUTES.has(event.route) && isError ? 'errorGeneric' : undefined;
}

function schemaLabel(schema: string | JsonSchema): string {
  return typeof schema === 'string' ? `schema "${schema}"` : 'the inline response schema';
}
