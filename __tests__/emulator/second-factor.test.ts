import { type KratosEmulator } from '../../lib/emulator';
import { startEmulator } from '../helpers/emulator';
import { Browser, messageIds, node, nodeNames } from './flow-helpers';
import { call } from './jar';

const PASSWORD = 'correct-horse-battery-staple';

describe('second factors: TOTP and lookup secrets', () => {
  let kratos: KratosEmulator;
  beforeAll(async () => {
    kratos = await startEmulator();
  });
  afterAll(() => kratos.close());

  it('sends a password login of a TOTP identity on to aal2, then accepts the TOTP code on the same session', async () => {
    const identity = await kratos.createIdentity({ traits: { email: 'totp@example.com' }, password: PASSWORD, totp: true });
    const b = new Browser(kratos);
    const first = await b.login('totp@example.com', PASSWORD);
    expect(first.status).toBe(303);
    expect(first.location).toBe(`${kratos.baseUrl}self-service/login/browser?aal=aal2`);
    const aal1 = await b.whoami();
    expect(aal1.status).toBe(403);
    expect(aal1.body.error.id).toBe('session_aal2_required');

    const flow = await b.startFlow('login', '?aal=aal2');
    expect(flow.requested_aal).toBe('aal2');
    expect(messageIds(flow)).toEqual([1010004]);
    expect(nodeNames(flow)).toEqual(['default:csrf_token', 'totp:totp_code', 'totp:method']);
    const wrong = await b.submitJson(flow, { method: 'totp', totp_code: '000000' === kratos.totpCode(identity.id as string) ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    expect(messageIds(wrong.body)).toEqual([4000008]);
    const ok = await b.submitForm(flow, { method: 'totp', totp_code: kratos.totpCode(identity.id as string) });
    expect(ok.status).toBe(303);
    const who = await b.whoami();
    expect(who.status).toBe(200);
    const sessions = await call(`${kratos.adminUrl}/admin/identities/${identity.id}/sessions`);
    expect(sessions.body.map((s: { id: string }) => s.id)).toEqual([who.body.id]);
    expect(who.body.authenticator_assurance_level).toBe('aal2');
    expect(who.body.authentication_methods.map((m: { method: string; aal: string }) => `${m.method}:${m.aal}`)).toEqual(['password:aal1', 'totp:aal2']);
  });

  it('answers a JSON password login that needs aal2 with 422 browser_location_change_required', async () => {
    await kratos.createIdentity({ traits: { email: 'totp-json@example.com' }, password: PASSWORD, totp: true });
    const b = new Browser(kratos);
    const flow = await b.startFlow('login');
    const res = await b.submitJson(flow, { method: 'password', identifier: 'totp-json@example.com', password: PASSWORD });
    expect(res.status).toBe(422);
    expect(res.body.error.id).toBe('browser_location_change_required');
    expect(res.body.redirect_browser_to).toBe(`${kratos.baseUrl}self-service/login/browser?aal=aal2`);
  });

  it('accepts a backup code once, then reports it as used', async () => {
    const codes = ['aaaa1111', 'bbbb2222'];
    const identity = await kratos.createIdentity({ traits: { email: 'lookup@example.com' }, password: PASSWORD, lookupSecrets: codes });
    const { cookie } = await kratos.createSession(identity.id as string);
    const b = new Browser(kratos);
    b.jar.cookies.set(kratos.sessionCookieName, cookie.split('=')[1]);
    const flow = await b.startFlow('login', '?aal=aal2');
    expect(nodeNames(flow)).toEqual(['default:csrf_token', 'lookup_secret:lookup_secret', 'lookup_secret:method']);
    const invalid = await b.submitJson(flow, { method: 'lookup_secret', lookup_secret: 'zzzz9999' });
    expect(messageIds(invalid.body)).toEqual([4000016]);
    const ok = await b.submitJson(flow, { method: 'lookup_secret', lookup_secret: 'aaaa1111' });
    expect(ok.status).toBe(200);
    expect(ok.body.session.authenticator_assurance_level).toBe('aal2');
    const b2 = new Browser(kratos);
    const again = await kratos.createSession(identity.id as string);
    b2.jar.cookies.set(kratos.sessionCookieName, again.cookie.split('=')[1]);
    const flow2 = await b2.startFlow('login', '?aal=aal2');
    const used = await b2.submitJson(flow2, { method: 'lookup_secret', lookup_secret: 'aaaa1111' });
    expect(messageIds(used.body)).toEqual([4000012]);
  });

  it('enrols TOTP in settings with a real secret: the enrolling session becomes aal2, a new password login needs aal2', async () => {
    const identity = await kratos.createIdentity({ traits: { email: 'enrol@example.com' }, password: PASSWORD });
    const b = new Browser(kratos);
    await b.login('enrol@example.com', PASSWORD);
    const flow = await b.startFlow('settings');
    const secret = node(flow, 'totp_secret_key').attributes.text.text as string;
    const { TOTP, Secret } = await import('otpauth');
    const code = new TOTP({ secret: Secret.fromBase32(secret) }).generate();
    const res = await b.submitJson(flow, { method: 'totp', totp_code: code });
    expect(res.status).toBe(200);
    expect(nodeNames(res.body)).toContain('totp:totp_unlink');
    expect(kratos.totpCode(identity.id as string)).toBe(code);
    const same = await b.whoami();
    expect(same.status).toBe(200);
    expect(same.body.authenticator_assurance_level).toBe('aal2');
    expect(same.body.authentication_methods.map((m: { method: string; aal: string }) => `${m.method}:${m.aal}`)).toEqual(['password:aal1', 'totp:aal2']);
    const other = new Browser(kratos);
    await other.login('enrol@example.com', PASSWORD);
    expect((await other.whoami()).status).toBe(403);
  });

  it('generates, confirms, reveals and disables backup codes in settings', async () => {
    await kratos.createIdentity({ traits: { email: 'codes@example.com' }, password: PASSWORD });
    const b = new Browser(kratos);
    await b.login('codes@example.com', PASSWORD);
    const flow = await b.startFlow('settings');
    expect(node(flow, 'lookup_secret_regenerate').meta.label.id).toBe(1050008);
    const generated = await b.submitJson(flow, { method: 'lookup_secret', lookup_secret_regenerate: true });
    expect(generated.status).toBe(400);
    const list = node(generated.body, 'lookup_secret_codes').attributes.text;
    expect(list.id).toBe(1050015);
    expect(list.context.secrets).toHaveLength(12);
    const confirmed = await b.submitJson(flow, { method: 'lookup_secret', lookup_secret_confirm: true });
    expect(confirmed.status).toBe(200);
    expect(node(confirmed.body, 'lookup_secret_reveal')).toBeDefined();
    expect((await b.whoami()).body.authenticator_assurance_level).toBe('aal2');
    const next = new Browser(kratos);
    await next.login('codes@example.com', PASSWORD);
    expect((await next.whoami()).status).toBe(403);
    const aal2 = await next.startFlow('login', '?aal=aal2');
    const used = await next.submitJson(aal2, { method: 'lookup_secret', lookup_secret: list.context.secrets[0].text });
    expect(used.status).toBe(200);
    const settings = await next.startFlow('settings');
    const revealed = await next.submitJson(settings, { method: 'lookup_secret', lookup_secret_reveal: true });
    expect(node(revealed.body, 'lookup_secret_codes').attributes.text.context.secrets[0].id).toBe(1050014);
    const disabled = await next.submitJson(settings, { method: 'lookup_secret', lookup_secret_disable: true });
    expect(disabled.status).toBe(200);
    expect(node(disabled.body, 'lookup_secret_regenerate')).toBeDefined();
  });

  it('redirects a settings navigation of an aal1 session with a second factor to login aal2', async () => {
    await kratos.createIdentity({ traits: { email: 'settings-aal@example.com' }, password: PASSWORD, totp: true });
    const b = new Browser(kratos);
    await b.login('settings-aal@example.com', PASSWORD);
    const res = await b.get('/self-service/settings/browser');
    expect(res.status).toBe(303);
    expect(res.location).toBe(`${kratos.baseUrl}self-service/login/browser?aal=aal2`);
    const json = await b.get('/self-service/settings/browser', { accept: 'application/json' });
    expect(json.status).toBe(403);
    expect(json.body.error.id).toBe('session_aal2_required');
  });
});
