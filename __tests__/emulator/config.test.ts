import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmulatorConfigError } from '../../lib/emulator';
import { startEmulator } from '../helpers/emulator';
import { loadEmulatorConfig } from '../../lib/emulator/config';
import { DEFAULT_IDENTITY_SCHEMA, DEFAULT_KRATOS_YML } from '../../lib/emulator/default-config';
import { parseDuration } from '../../lib/emulator/duration';
import { call } from './jar';

const SHARED = '/work/shared/kratos/config';

function tempConfig(yml: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'kratos-emu-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, 'kratos.yml'), yml);
  return join(dir, 'kratos.yml');
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EmulatorConfigError);
    expect((err as EmulatorConfigError).code).toBe('KRATOS_EMULATOR_CONFIG_INVALID');
    return (err as EmulatorConfigError).problems;
  }
  throw new Error('expected a configuration error');
}

describe('configuration', () => {
  it('embeds exact copies of the quickstart email-password files', () => {
    expect(DEFAULT_KRATOS_YML).toBe(readFileSync(join(SHARED, 'email-password/kratos.yml'), 'utf8'));
    expect(DEFAULT_IDENTITY_SCHEMA).toBe(readFileSync(join(SHARED, 'email-password/identity.schema.json'), 'utf8'));
  });

  it('reads the built-in default with Kratos defaults for what it leaves out', () => {
    const c = loadEmulatorConfig();
    expect(c.source).toBe('built-in email-password');
    expect(c.baseUrl).toBe('http://127.0.0.1:4433/');
    expect(c.flows.login.lifespanMs).toBe(600_000);
    expect(c.flows.settings.lifespanMs).toBe(3_600_000);
    expect(c.flows.settings.privilegedSessionMaxAgeMs).toBe(900_000);
    expect(c.flows.registration.after.methods.password.hooks).toEqual(['session', 'show_verification_ui']);
    expect(c.session.lifespanMs).toBe(86_400_000);
    expect(c.session.cookie.name).toBe('ory_kratos_session');
    expect(c.session.whoamiRequiredAal).toBe('highest_available');
    expect(c.methods.totp).toEqual({ enabled: true, issuer: 'Kratos' });
    expect(c.featureFlags.useContinueWithTransitions).toBe(true);
    expect(c.identity.schemas[0].schema.title).toBe('Person');
  });

  it('loads the all-strategies quickstart from disk, resolving the schema next to kratos.yml', async () => {
    const kratos = await startEmulator({ config: join(SHARED, 'all-strategies/kratos.yml') });
    try {
      expect(kratos.config.methods.webauthn.enabled).toBe(true);
      expect(kratos.config.flows.verification.enabled).toBe(false);
      const identity = await kratos.createIdentity({ traits: { email: 'all@example.com' }, password: 'a-long-secret-phrase' });
      const { cookie } = await kratos.createSession(identity.id as string);
      expect((await call(`${kratos.publicUrl}/sessions/whoami`, { headers: { cookie } })).status).toBe(200);
    } finally {
      await kratos.close();
    }
  });

  it('deep-merges overrides and ignores unknown keys', () => {
    const c = loadEmulatorConfig({ overrides: { selfservice: { flows: { login: { ui_url: 'http://app.test/signin' } } }, totally_unknown: { a: 1 } } });
    expect(c.flows.login.uiUrl).toBe('http://app.test/signin');
    expect(c.flows.login.lifespanMs).toBe(600_000);
  });

  it('honours session cookie settings and base64:// schemas', () => {
    const schema = Buffer.from(DEFAULT_IDENTITY_SCHEMA).toString('base64');
    const c = loadEmulatorConfig({
      config: { selfservice: { default_browser_return_url: 'http://app.test/' }, identity: { schemas: [{ id: 'default', url: `base64://${schema}` }] }, session: { cookie: { name: 'sid', same_site: 'Strict', persistent: false }, lifespan: '1h30m' } },
    });
    expect(c.session.cookie).toEqual(expect.objectContaining({ name: 'sid', sameSite: 'Strict', persistent: false }));
    expect(c.session.lifespanMs).toBe(5_400_000);
  });

  it('reports every invalid value in one error naming the key path and the value', () => {
    const problems = problemsOf(() =>
      loadEmulatorConfig({
        overrides: {
          serve: { public: { base_url: 'not a url' } },
          session: { lifespan: '10 minutes', whoami: { required_aal: 'aal3' } },
          selfservice: { flows: { login: { lifespan: 'soon', ui_url: '::' }, recovery: { use: 'pigeon' }, registration: { after: { password: { hooks: [{ hook: 'nope' }] } } } } },
          identity: { schemas: [{ id: 'default', url: 'file:///nowhere/missing.schema.json' }] },
        },
      }),
    );
    const text = problems.join('\n');
    expect(text).toContain('serve.public.base_url: "not a url"');
    expect(text).toContain('session.lifespan: "10 minutes" is not a valid duration');
    expect(text).toContain('session.whoami.required_aal: "aal3" is not one of aal1, highest_available');
    expect(text).toContain('selfservice.flows.login.lifespan: "soon"');
    expect(text).toContain('selfservice.flows.login.ui_url: "::"');
    expect(text).toContain('selfservice.flows.recovery.use: "pigeon"');
    expect(text).toContain('selfservice.flows.registration.after.password.hooks[0].hook: "nope"');
    expect(text).toContain('identity.schemas[0].url: "file:///nowhere/missing.schema.json"');
  });

  it('rejects a config file that does not exist or is not YAML, and an invalid schema file', () => {
    expect(problemsOf(() => loadEmulatorConfig({ config: '/nowhere/kratos.yml' }))[0]).toMatch(/^config: "\/nowhere\/kratos.yml" could not be read/);
    expect(problemsOf(() => loadEmulatorConfig({ config: tempConfig('a: [unclosed') }))[0]).toMatch(/is not valid YAML/);
    const path = tempConfig('selfservice:\n  default_browser_return_url: http://a.test/\nidentity:\n  schemas:\n    - id: default\n      url: file://./broken.json\n', { 'broken.json': '{nope' });
    expect(problemsOf(() => loadEmulatorConfig({ config: path }))[0]).toMatch(/identity.schemas\[0\].url: "file:\/\/.\/broken.json" is not valid JSON/);
  });

  it('rejects bad programmatic options together with config problems', async () => {
    await expect(startEmulator({ port: -1, overrides: { session: { lifespan: 'x' } } })).rejects.toThrow(/port: -1 is not a port[\s\S]*session.lifespan: "x"/);
  });

  it('parses Go durations', () => {
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('10')).toBeUndefined();
    expect(parseDuration('1d')).toBeUndefined();
  });

  it('derives the CSRF cookie name from base_url with its trailing slash', async () => {
    const kratos = await startEmulator({ baseUrl: 'http://127.0.0.1:4433/' });
    try {
      expect(kratos.baseUrl).toBe('http://127.0.0.1:4433/');
      expect(kratos.csrfCookieName).toBe('csrf_token_806060ca5bf70dff3caa0e5c860002aade9d470a5a4dce73bcfa7ba10778f481');
    } finally {
      await kratos.close();
    }
    const noSlash = await startEmulator({ baseUrl: 'http://127.0.0.1:4433' });
    try {
      expect(noSlash.baseUrl).toBe('http://127.0.0.1:4433/');
      expect(noSlash.csrfCookieName).toBe('csrf_token_be481debe9e1ebcf14d99f6f631d9a520ca6701ba0f3e4398508af30ebb1f509');
    } finally {
      await noSlash.close();
    }
  });

  it('uses the real listening URL as base_url when started programmatically', async () => {
    const kratos = await startEmulator();
    try {
      expect(kratos.baseUrl).toBe(`${kratos.publicUrl}/`);
      expect(kratos.publicUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await kratos.close();
    }
  });
});
