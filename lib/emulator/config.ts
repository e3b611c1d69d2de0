import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { dirOf, readReference, type FileSource } from './config-files';
import type { AfterConfig, AfterMethodConfig, EmulatorConfig, RequiredAal, SameSite, SchemaConfig } from './config-types';
import { DEFAULT_FILES, DEFAULT_KRATOS_YML } from './default-config';
import { parseDuration } from './duration';
import { deepMerge, getPath, isPlainObject } from './util';

export interface LoadConfigOptions {
  config?: string | Record<string, unknown>;
  overrides?: Record<string, unknown>;
  baseUrl?: string;
}

/** A configuration problem found at start-up; `problems` lists every one. */
export class EmulatorConfigError extends Error {
  readonly code = 'KRATOS_EMULATOR_CONFIG_INVALID';
  readonly status = 500;
  readonly statusCode = 500;
  constructor(readonly source: string, readonly problems: string[]) {
    super(`Invalid Kratos configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'EmulatorConfigError';
  }
}

const FALLBACK_UI = 'https://www.ory.sh/kratos/docs/fallback/';
const HOOKS = ['session', 'show_verification_ui', 'revoke_active_sessions', 'require_verified_address', 'verification', 'web_hook', 'two_step_registration', 'b2b_sso'];
const FLOW_NAMES = ['login', 'registration', 'settings', 'recovery', 'verification'] as const;

class Reader {
  readonly problems: string[] = [];
  constructor(readonly raw: Record<string, unknown>) {}

  private bad(path: string, value: unknown, fix: string): undefined {
    this.problems.push(`${path.replace(/\.(\d+)(?=\.|$)/g, '[$1]')}: ${JSON.stringify(value)} ${fix}`);
    return undefined;
  }

  url(path: string, fallback?: string): string | undefined {
    const v = getPath(this.raw, path);
    if (v === undefined || v === null || v === '') return fallback;
    if (typeof v !== 'string') return this.bad(path, v, 'is not a URL. Use an absolute URL such as http://127.0.0.1:4455/login.');
    try {
      const u = new URL(v);
      if (!u.protocol || !u.host) throw new Error('no host');
      return v;
    } catch {
      return this.bad(path, v, 'is not a valid absolute URL. Use an absolute URL such as http://127.0.0.1:4455/login.');
    }
  }

  duration(path: string, fallbackMs: number): number {
    const v = getPath(this.raw, path);
    if (v === undefined || v === null) return fallbackMs;
    const ms = parseDuration(v);
    if (ms === undefined) {
      this.bad(path, v, 'is not a valid duration. Use a Go duration such as 10m, 1h, 24h or 1h30m.');
      return fallbackMs;
    }
    return ms;
  }

  bool(path: string, fallback: boolean): boolean {
    const v = getPath(this.raw, path);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') {
      this.bad(path, v, 'is not a boolean. Use true or false.');
      return fallback;
    }
    return v;
  }

  string(path: string, fallback: string): string {
    const v = getPath(this.raw, path);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' || v === '') {
      this.bad(path, v, 'is not a non-empty string.');
      return fallback;
    }
    return v;
  }

  integer(path: string, fallback: number, min: number): number {
    const v = getPath(this.raw, path);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      this.bad(path, v, `is not an integer >= ${min}.`);
      return fallback;
    }
    return v;
  }

  oneOf<T extends string>(path: string, allowed: readonly T[], fallback: T): T {
    const v = getPath(this.raw, path);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'string' || !allowed.includes(v as T)) {
      this.bad(path, v, `is not one of ${allowed.join(', ')}.`);
      return fallback;
    }
    return v as T;
  }

  sameSite(path: string, fallback: SameSite): SameSite {
    return this.oneOf(path, ['Strict', 'Lax', 'None'] as const, fallback);
  }

  hooks(path: string): string[] {
    const v = getPath(this.raw, path);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.bad(path, v, 'is not a list of hooks. Use a list such as [{ hook: session }].');
      return [];
    }
    const out: string[] = [];
    v.forEach((h, i) => {
      const name = isPlainObject(h) ? h.hook : undefined;
      if (typeof name !== 'string' || !HOOKS.includes(name)) {
        this.bad(`${path}[${i}].hook`, name, `is not a known hook. Use one of ${HOOKS.join(', ')}.`);
      } else out.push(name);
    });
    return out;
  }

  after(path: string): AfterConfig {
    const methods: Record<string, AfterMethodConfig> = {};
    const node = getPath(this.raw, path);
    if (isPlainObject(node)) {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'default_browser_return_url' || key === 'hooks' || !isPlainObject(value)) continue;
        methods[key] = {
          defaultBrowserReturnUrl: this.url(`${path}.${key}.default_browser_return_url`),
          hooks: this.hooks(`${path}.${key}.hooks`),
        };
      }
    }
    return { defaultBrowserReturnUrl: this.url(`${path}.default_browser_return_url`), hooks: this.hooks(`${path}.hooks`), methods };
  }
}

function readSource(options: LoadConfigOptions): { raw: unknown; source: string; files: FileSource; problems: string[] } {
  const { config } = options;
  if (config === undefined) {
    return { raw: parseYaml(DEFAULT_KRATOS_YML), source: 'built-in email-password', files: { dir: process.cwd(), embedded: DEFAULT_FILES }, problems: [] };
  }
  if (typeof config === 'string') {
    const files = { dir: dirOf(config), embedded: {} };
    let text: string;
    try {
      text = readFileSync(config, 'utf8');
    } catch (err) {
      return { raw: {}, source: config, files, problems: [`config: ${JSON.stringify(config)} could not be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Pass the path of a kratos.yml.`] };
    }
    try {
      return { raw: parseYaml(text) ?? {}, source: config, files, problems: [] };
    } catch (err) {
      return { raw: {}, source: config, files, problems: [`config: ${JSON.stringify(config)} is not valid YAML (${(err as Error).message.split('\n')[0]}).`] };
    }
  }
  if (isPlainObject(config)) return { raw: config, source: 'config object', files: { dir: process.cwd(), embedded: {} }, problems: [] };
  return { raw: {}, source: 'config option', files: { dir: process.cwd(), embedded: {} }, problems: [`config: ${JSON.stringify(config)} is neither a path to kratos.yml nor a configuration object.`] };
}

function loadSchemas(r: Reader, files: FileSource): { defaultSchemaId: string; schemas: SchemaConfig[] } {
  const list = getPath(r.raw, 'identity.schemas');
  const schemas: SchemaConfig[] = [];
  if (!Array.isArray(list) || list.length === 0) {
    r.problems.push(`identity.schemas: ${JSON.stringify(list)} is not a non-empty list. Add identity.schemas: [{ id: default, url: file://./identity.schema.json }].`);
  } else {
    list.forEach((entry, i) => {
      const id = isPlainObject(entry) ? entry.id : undefined;
      const url = isPlainObject(entry) ? entry.url : undefined;
      if (typeof id !== 'string' || !id) return void r.problems.push(`identity.schemas[${i}].id: ${JSON.stringify(id)} is not a non-empty string.`);
      if (typeof url !== 'string' || !url) return void r.problems.push(`identity.schemas[${i}].url: ${JSON.stringify(url)} is not a schema URL. Use file://./identity.schema.json or base64://...`);
      const read = readReference(url, files);
      if ('error' in read) return void r.problems.push(`identity.schemas[${i}].url: ${JSON.stringify(url)} ${read.error}.`);
      let schema: unknown;
      try {
        schema = JSON.parse(read.text);
      } catch (err) {
        return void r.problems.push(`identity.schemas[${i}].url: ${JSON.stringify(url)} is not valid JSON (${(err as Error).message}).`);
      }
      if (!isPlainObject(schema)) return void r.problems.push(`identity.schemas[${i}].url: ${JSON.stringify(url)} is not a JSON schema object.`);
      schemas.push({ id, url, schema });
    });
  }
  const defaultSchemaId = r.string('identity.default_schema_id', 'default');
  if (schemas.length > 0 && !schemas.some((s) => s.id === defaultSchemaId)) {
    r.problems.push(`identity.default_schema_id: ${JSON.stringify(defaultSchemaId)} names no schema in identity.schemas. Use one of ${schemas.map((s) => s.id).join(', ')}.`);
  }
  return { defaultSchemaId, schemas };
}

function loadTemplates(r: Reader): EmulatorConfig['session']['tokenizerTemplates'] {
  const node = getPath(r.raw, 'session.whoami.tokenizer.templates');
  const out: EmulatorConfig['session']['tokenizerTemplates'] = {};
  if (!isPlainObject(node)) return out;
  for (const name of Object.keys(node)) {
    const base = `session.whoami.tokenizer.templates.${name}`;
    const jwksUrl = getPath(r.raw, `${base}.jwks_url`);
    if (typeof jwksUrl !== 'string' || !jwksUrl) {
      r.problems.push(`${base}.jwks_url: ${JSON.stringify(jwksUrl)} is missing. Use file://./jwks.json or base64://... holding a private JWKS.`);
      continue;
    }
    const claims = getPath(r.raw, `${base}.claims_mapper_url`);
    out[name] = { ttlMs: r.duration(`${base}.ttl`, 60_000), jwksUrl, claimsMapperUrl: typeof claims === 'string' ? claims : undefined };
  }
  return out;
}

/** Reads, merges and validates a Kratos configuration; throws one EmulatorConfigError listing every problem. */
export function loadEmulatorConfig(options: LoadConfigOptions = {}): EmulatorConfig & { files: FileSource } {
  const src = readSource(options);
  if (options.overrides !== undefined && !isPlainObject(options.overrides)) {
    src.problems.push(`overrides: ${JSON.stringify(options.overrides)} is not an object. Pass a partial kratos.yml as an object.`);
  }
  const raw = deepMerge(isPlainObject(src.raw) ? src.raw : {}, isPlainObject(options.overrides) ? options.overrides : undefined);
  if (!isPlainObject(src.raw)) src.problems.push(`config: the configuration is not a YAML mapping.`);
  const r = new Reader(isPlainObject(raw) ? raw : {});
  r.problems.push(...src.problems);

  const baseUrlOpt = options.baseUrl;
  let baseUrl = r.url('serve.public.base_url', 'http://127.0.0.1:4433/') ?? 'http://127.0.0.1:4433/';
  if (baseUrlOpt !== undefined) {
    try {
      new URL(baseUrlOpt);
      baseUrl = baseUrlOpt;
    } catch {
      r.problems.push(`baseUrl: ${JSON.stringify(baseUrlOpt)} is not a valid absolute URL. Use for example http://127.0.0.1:3000/.ory/.`);
    }
  }
  const rawBaseUrl = baseUrl;
  if (!baseUrl.endsWith('/')) baseUrl += '/';

  const defaultBrowserReturnUrl = r.url('selfservice.default_browser_return_url');
  if (!defaultBrowserReturnUrl && getPath(r.raw, 'selfservice.default_browser_return_url') === undefined) {
    r.problems.push('selfservice.default_browser_return_url: undefined is required. Set it to the URL of your app, e.g. http://127.0.0.1:4455/.');
  }
  const allowed = getPath(r.raw, 'selfservice.allowed_return_urls');
  const allowedReturnUrls: string[] = [];
  if (allowed !== undefined && allowed !== null && !Array.isArray(allowed)) {
    r.problems.push(`selfservice.allowed_return_urls: ${JSON.stringify(allowed)} is not a list of URLs.`);
  } else {
    (allowed ?? []).forEach((entry: unknown, i: number) => {
      if (entry === '*') return;
      const u = r.url(`selfservice.allowed_return_urls.${i}`);
      if (u) allowedReturnUrls.push(u);
    });
  }

  const flow = (name: (typeof FLOW_NAMES)[number], lifespanDefault: number) => ({
    uiUrl: r.url(`selfservice.flows.${name}.ui_url`, FALLBACK_UI + name) ?? FALLBACK_UI + name,
    lifespanMs: r.duration(`selfservice.flows.${name}.lifespan`, lifespanDefault),
    after: r.after(`selfservice.flows.${name}.after`),
  });
  const sessionCookiePath = getPath(r.raw, 'session.cookie.path');
  const cookies = {
    path: r.string('cookies.path', '/'),
    domain: typeof getPath(r.raw, 'cookies.domain') === 'string' ? (getPath(r.raw, 'cookies.domain') as string) || undefined : undefined,
    sameSite: r.sameSite('cookies.same_site', 'Lax'),
  };
  const enabled = (m: string, d: boolean) => r.bool(`selfservice.methods.${m}.enabled`, d);
  const requiredAal = (path: string) => r.oneOf<RequiredAal>(path, ['aal1', 'highest_available'], 'highest_available');

  const config: EmulatorConfig & { files: FileSource } = {
    source: src.source,
    files: src.files,
    raw: r.raw,
    baseUrl,
    rawBaseUrl,
    defaultBrowserReturnUrl: defaultBrowserReturnUrl ?? 'http://127.0.0.1:4455/',
    allowedReturnUrls,
    flows: {
      login: { ...flow('login', 3_600_000), style: r.oneOf('selfservice.flows.login.style', ['unified', 'identifier_first'] as const, 'unified') },
      registration: {
        ...flow('registration', 3_600_000),
        enabled: r.bool('selfservice.flows.registration.enabled', true),
        legacyOneStep: r.bool('selfservice.flows.registration.enable_legacy_one_step', false),
      },
      settings: {
        ...flow('settings', 3_600_000),
        privilegedSessionMaxAgeMs: r.duration('selfservice.flows.settings.privileged_session_max_age', 3_600_000),
        requiredAal: requiredAal('selfservice.flows.settings.required_aal'),
      },
      recovery: {
        ...flow('recovery', 3_600_000),
        enabled: r.bool('selfservice.flows.recovery.enabled', false),
        use: r.oneOf('selfservice.flows.recovery.use', ['code', 'link'] as const, 'code'),
        notifyUnknownRecipients: r.bool('selfservice.flows.recovery.notify_unknown_recipients', false),
      },
      verification: {
        ...flow('verification', 3_600_000),
        enabled: r.bool('selfservice.flows.verification.enabled', false),
        use: r.oneOf('selfservice.flows.verification.use', ['code', 'link'] as const, 'code'),
      },
      logout: { after: { defaultBrowserReturnUrl: r.url('selfservice.flows.logout.after.default_browser_return_url') } },
      error: { uiUrl: r.url('selfservice.flows.error.ui_url', FALLBACK_UI + 'error') ?? FALLBACK_UI + 'error' },
    },
    methods: {
      password: {
        enabled: enabled('password', true),
        minPasswordLength: r.integer('selfservice.methods.password.config.min_password_length', 8, 6),
        identifierSimilarityCheck: r.bool('selfservice.methods.password.config.identifier_similarity_check_enabled', true),
      },
      profile: { enabled: enabled('profile', true) },
      totp: { enabled: enabled('totp', false), issuer: r.string('selfservice.methods.totp.config.issuer', new URL(baseUrl).hostname) },
      lookupSecret: { enabled: enabled('lookup_secret', false) },
      code: { enabled: enabled('code', true), lifespanMs: r.duration('selfservice.methods.code.config.lifespan', 3_600_000) },
      link: { enabled: enabled('link', false) },
      webauthn: { enabled: enabled('webauthn', false) },
      passkey: { enabled: enabled('passkey', false) },
      oidc: { enabled: enabled('oidc', false) },
    },
    session: {
      lifespanMs: r.duration('session.lifespan', 86_400_000),
      whoamiRequiredAal: requiredAal('session.whoami.required_aal'),
      cookie: {
        name: r.string('session.cookie.name', 'ory_kratos_session'),
        path: sessionCookiePath === undefined ? cookies.path : r.string('session.cookie.path', cookies.path),
        domain: (getPath(r.raw, 'session.cookie.domain') as string | undefined) || cookies.domain,
        sameSite: r.sameSite('session.cookie.same_site', cookies.sameSite),
        persistent: r.bool('session.cookie.persistent', true),
      },
      tokenizerTemplates: loadTemplates(r),
    },
    cookies,
    featureFlags: { useContinueWithTransitions: r.bool('feature_flags.use_continue_with_transitions', false) },
    identity: loadSchemas(r, src.files),
  };
  if (r.problems.length > 0) throw new EmulatorConfigError(src.source, r.problems);
  return config;
}
