import { type KratosEmulator } from '../../lib/emulator';
import { startEmulator } from '../helpers/emulator';
import { Browser, flowIdOf, messageIds, node, nodeNames } from './flow-helpers';
import { call } from './jar';

const PASSWORD = 'correct-horse-battery-staple';

describe('recovery and verification by code', () => {
  let kratos: KratosEmulator;
  beforeAll(async () => {
    kratos = await startEmulator();
  });
  afterAll(() => kratos.close());

  it('recovers an account by form: code mailed, wrong code 4060006, right code logs in and opens settings', async () => {
    await kratos.createIdentity({ traits: { email: 'recover@example.com' }, password: PASSWORD });
    const b = new Browser(kratos);
    const flow = await b.startFlow('recovery');
    expect(flow.active).toBe('code');
    expect(nodeNames(flow)).toEqual(['default:csrf_token', 'code:email', 'code:method']);
    const sent = await b.submitForm(flow, { method: 'code', email: 'Recover@Example.com' });
    expect(sent.status).toBe(303);
    const waiting = await b.fetchFlow('recovery', flow.id);
    expect(waiting.state).toBe('sent_email');
    expect(messageIds(waiting)).toEqual([1060003]);
    expect(nodeNames(waiting)).toEqual(['default:csrf_token', 'code:code', 'code:method', 'code:method', 'code:email']);
    const code = kratos.lastCode('recover@example.com')!;
    expect(code).toMatch(/^[0-9]{6}$/);
    const [message] = kratos.messages({ recipient: 'recover@example.com' });
    expect(message).toMatchObject({ template_type: 'recovery_code_valid', status: 'sent', type: 'email' });
    expect(message.body).toContain(code);

    const wrong = await b.submitJson(waiting, { method: 'code', code: code === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(200);
    expect(messageIds(wrong.body)).toEqual([4060006]);
    const ok = await b.submitForm(waiting, { method: 'code', code });
    expect(ok.status).toBe(303);
    expect(ok.location).toMatch(new RegExp(`^${kratos.config.flows.settings.uiUrl}\\?flow=`));
    const who = await b.whoami();
    expect(who.body.authentication_methods.map((m: { method: string }) => m.method)).toEqual(['code_recovery']);
    const settings = await b.fetchFlow('settings', flowIdOf(ok.location));
    expect(settings.ui.messages[0]).toMatchObject({ id: 1060001, type: 'success' });
  });

  it('answers JSON recovery with continue_with show_settings_ui (use_continue_with_transitions)', async () => {
    await kratos.createIdentity({ traits: { email: 'recover-json@example.com' }, password: PASSWORD });
    const b = new Browser(kratos);
    const flow = await b.startFlow('recovery');
    const sent = await b.submitJson(flow, { method: 'code', email: 'recover-json@example.com' });
    expect(sent.status).toBe(200);
    const res = await b.submitJson(sent.body, { method: 'code', code: kratos.lastCode('recover-json@example.com') });
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('passed_challenge');
    expect(res.body.continue_with[0]).toMatchObject({ action: 'show_settings_ui', flow: { url: expect.stringContaining(kratos.config.flows.settings.uiUrl) } });
  });

  it('accepts an unknown address silently and sends nothing', async () => {
    const b = new Browser(kratos);
    const flow = await b.startFlow('recovery');
    const res = await b.submitJson(flow, { method: 'code', email: 'nobody@example.com' });
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('sent_email');
    expect(kratos.lastCode('nobody@example.com')).toBeUndefined();
  });

  it('creates a recovery code through the admin API', async () => {
    const identity = await kratos.createIdentity({ traits: { email: 'admin-recover@example.com' }, password: PASSWORD });
    const res = await call(`${kratos.adminUrl}/admin/recovery/code`, { json: { identity_id: identity.id, expires_in: '15m' } });
    expect(res.status).toBe(201);
    expect(res.body.recovery_code).toMatch(/^[0-9]{6}$/);
    const b = new Browser(kratos);
    const link = await call(res.body.recovery_link, { jar: b.jar, headers: { accept: 'text/html' } });
    expect(link.status).toBe(303);
    const flow = await b.fetchFlow('recovery', flowIdOf(link.location));
    const done = await b.submitJson(flow, { method: 'code', code: res.body.recovery_code });
    expect(done.status).toBe(200);
    expect((await b.whoami()).status).toBe(200);
  });

  it('verifies an address by code and marks it verified', async () => {
    const identity = await kratos.createIdentity({ traits: { email: 'verify@example.com' } });
    const b = new Browser(kratos);
    const flow = await b.startFlow('verification');
    expect(nodeNames(flow)).toEqual(['code:email', 'code:method', 'default:csrf_token']);
    const sent = await b.submitJson(flow, { method: 'code', email: 'verify@example.com' });
    expect(sent.status).toBe(200);
    expect(messageIds(sent.body)).toEqual([1080003]);
    expect(node(sent.body, 'code').meta.label.id).toBe(1070011);
    const code = kratos.lastCode('verify@example.com')!;
    expect(kratos.messages({ recipient: 'verify@example.com' })[0].body).toContain(`self-service/verification?code=${code}&flow=${flow.id}`);
    const wrong = await b.submitJson(sent.body, { method: 'code', code: code === '000000' ? '111111' : '000000' });
    expect(messageIds(wrong.body)).toEqual([4070006]);
    const done = await b.submitJson(sent.body, { method: 'code', code });
    expect(done.status).toBe(200);
    expect(done.body.state).toBe('passed_challenge');
    expect(done.body.ui.method).toBe('GET');
    expect(done.body.ui.nodes).toEqual([expect.objectContaining({ type: 'a', attributes: expect.objectContaining({ id: 'continue', href: kratos.config.flows.verification.after.defaultBrowserReturnUrl }) })]);
    const admin = await call(`${kratos.adminUrl}/admin/identities/${identity.id}`);
    expect(admin.body.verifiable_addresses[0]).toMatchObject({ verified: true, status: 'completed' });
    expect(admin.body.verifiable_addresses[0].verified_at).toEqual(expect.any(String));
    const again = await b.submitJson(sent.body, { method: 'code', code });
    expect(again.status).toBe(410);
    expect(again.body.error.id).toBe('self_service_flow_replaced');
  });

  it('pre-fills the code from the e-mailed link and redirects to the verification UI', async () => {
    await kratos.createIdentity({ traits: { email: 'link@example.com' } });
    const b = new Browser(kratos);
    const flow = await b.startFlow('verification');
    await b.submitForm(flow, { method: 'code', email: 'link@example.com' });
    const code = kratos.lastCode('link@example.com')!;
    const link = await b.get(`/self-service/verification?code=${code}&flow=${flow.id}`);
    expect(link.status).toBe(303);
    expect(link.location).toBe(`${kratos.config.flows.verification.uiUrl}?flow=${flow.id}`);
    const prefilled = await b.fetchFlow('verification', flow.id);
    expect(node(prefilled, 'code').attributes.value).toBe(code);
    const done = await b.submitForm(prefilled, { method: 'code', code });
    expect(done.status).toBe(303);
    expect(messageIds(await b.fetchFlow('verification', flow.id))).toEqual([1080002]);
  });

  it('lists courier messages through the admin API', async () => {
    const res = await call(`${kratos.adminUrl}/admin/courier/messages?recipient=verify@example.com`);
    expect(res.status).toBe(200);
    expect(res.body[0]).toMatchObject({ recipient: 'verify@example.com', template_type: 'verification_code_valid', send_count: 1 });
  });

  it('answers 400 for recovery and verification when disabled', async () => {
    const off = await startEmulator({ overrides: { selfservice: { flows: { recovery: { enabled: false }, verification: { enabled: false } } } } });
    try {
      const r = await call(`${off.publicUrl}/self-service/recovery/browser`, { headers: { accept: 'application/json' } });
      expect(r.status).toBe(400);
      expect(r.body.error.reason).toBe('Recovery is not allowed because it was disabled.');
      const v = await call(`${off.publicUrl}/self-service/verification/browser`, { headers: { accept: 'application/json' } });
      expect(v.body.error.reason).toBe('Verification is not allowed because it was disabled.');
    } finally {
      await off.close();
    }
  });

  it('refuses recovery for a browser with a session: nav 302 to the return URL', async () => {
    await kratos.createIdentity({ traits: { email: 'already@example.com' }, password: PASSWORD });
    const b = new Browser(kratos);
    await b.login('already@example.com', PASSWORD);
    const res = await b.get('/self-service/recovery/browser');
    expect(res.status).toBe(302);
    expect(res.location).toBe(kratos.config.defaultBrowserReturnUrl);
  });
});
