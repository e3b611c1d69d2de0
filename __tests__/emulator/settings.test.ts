import { type KratosEmulator } from '../../lib/emulator';
import { startEmulator } from '../helpers/emulator';
import { Browser, flowIdOf, messageIds, node, nodeNames } from './flow-helpers';
import { BROWSER, call } from './jar';

const PASSWORD = 'correct-horse-battery-staple';

describe('settings flow', () => {
  let kratos: KratosEmulator;
  let now = Date.now();
  beforeAll(async () => {
    kratos = await startEmulator({ clock: () => now, overrides: { selfservice: { methods: { lookup_secret: { enabled: false } } } } });
  });
  afterAll(() => kratos.close());

  async function loggedIn(email: string): Promise<Browser> {
    await kratos.createIdentity({ traits: { email }, password: PASSWORD });
    const b = new Browser(kratos);
    const res = await b.login(email, PASSWORD);
    if (res.status !== 303) throw new Error(`login failed: ${res.status}`);
    return b;
  }

  it('without a session: nav 303 to login init, json 401 session_inactive', async () => {
    const b = new Browser(kratos);
    const nav = await b.get('/self-service/settings/browser?return_to=http://127.0.0.1:4455/x');
    expect(nav.status).toBe(303);
    expect(nav.location).toBe(`${kratos.baseUrl}self-service/login/browser?return_to=${encodeURIComponent('http://127.0.0.1:4455/x')}`);
    const json = await b.get('/self-service/settings/browser', { accept: 'application/json' });
    expect(json.status).toBe(401);
    expect(json.body.error.id).toBe('session_inactive');
  });

  it('shows profile, password and TOTP setup nodes with the current traits', async () => {
    const b = await loggedIn('settings-nodes@example.com');
    const flow = await b.startFlow('settings');
    expect(flow.state).toBe('show_form');
    expect(flow.identity.traits.email).toBe('settings-nodes@example.com');
    expect(nodeNames(flow)).toEqual([
      'default:csrf_token',
      'profile:traits.email',
      'profile:traits.name.first',
      'profile:traits.name.last',
      'profile:method',
      'password:password',
      'password:method',
      'totp:totp_qr',
      'totp:totp_secret_key',
      'totp:totp_code',
      'totp:method',
    ]);
    expect(node(flow, 'traits.email').attributes.value).toBe('settings-nodes@example.com');
    expect(node(flow, 'totp_qr').attributes.src).toMatch(/^data:image\/png;base64,/);
    expect(node(flow, 'totp_secret_key').attributes.text.text).toMatch(/^[A-Z2-7]{32}$/);
  });

  it('updates the profile by form: 303 back to the settings UI with 1050001', async () => {
    const b = await loggedIn('profile@example.com');
    const flow = await b.startFlow('settings');
    const res = await b.submitForm(flow, { method: 'profile', 'traits.email': 'profile@example.com', 'traits.name.first': 'Grace' });
    expect(res.status).toBe(303);
    expect(res.location).toBe(`${kratos.config.flows.settings.uiUrl}?flow=${flow.id}`);
    const after = await b.fetchFlow('settings', flow.id);
    expect(after.state).toBe('success');
    expect(after.ui.messages).toEqual([{ id: 1050001, text: 'Your changes have been saved!', type: 'success' }]);
    expect(node(after, 'traits.name.first').attributes.value).toBe('Grace');
  });

  it('answers "Did not receive any value changes." and schema errors as flow messages (json 400)', async () => {
    const b = await loggedIn('invalid-settings@example.com');
    const flow = await b.startFlow('settings');
    const none = await b.submitJson(flow, { method: 'profile' });
    expect(none.status).toBe(400);
    expect(none.body.ui.messages[0]).toMatchObject({ id: 4000001, text: 'Did not receive any value changes.' });
    const bad = await b.submitJson(flow, { method: 'profile', traits: { email: 'x' } });
    expect(bad.status).toBe(400);
    expect(node(bad.body, 'traits.email').messages.map((m: { id: number }) => m.id)).toEqual(expect.arrayContaining([4000003]));
  });

  it('changes the password on a fresh session and the new password logs in', async () => {
    const b = await loggedIn('pw@example.com');
    const flow = await b.startFlow('settings');
    const res = await b.submitJson(flow, { method: 'password', password: 'another-long-passphrase' });
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('success');
    expect(res.body.continue_with).toEqual([{ action: 'redirect_browser_to', redirect_browser_to: `${kratos.config.flows.settings.uiUrl}?flow=${flow.id}` }]);
    expect((await new Browser(kratos).login('pw@example.com', 'another-long-passphrase')).location).toBe(kratos.config.defaultBrowserReturnUrl);
  });

  it('requires a refreshed session for a password change on an old session, then completes it after re-login', async () => {
    const b = await loggedIn('refresh@example.com');
    const flow = await b.startFlow('settings');
    now += 16 * 60_000;
    try {
      const json = await b.submitJson(flow, { method: 'password', password: 'brand-new-passphrase' });
      expect(json.status).toBe(403);
      expect(json.body.error.id).toBe('session_refresh_required');
      const expected = `${kratos.baseUrl}self-service/login/browser?refresh=true&return_to=${encodeURIComponent(`${kratos.baseUrl}self-service/settings?flow=${flow.id}`)}`;
      expect(json.body.redirect_browser_to).toBe(expected);

      const nav = await b.submitForm(flow, { method: 'password', password: 'brand-new-passphrase' });
      expect(nav.status).toBe(303);
      expect(nav.location).toBe(expected);
      const login = await b.get(new URL(nav.location!).pathname + new URL(nav.location!).search);
      const loginFlow = await b.fetchFlow('login', flowIdOf(login.location));
      expect(loginFlow.refresh).toBe(true);
      const relogin = await b.submitForm(loginFlow, { method: 'password', identifier: 'refresh@example.com', password: PASSWORD });
      expect(relogin.status).toBe(303);
      expect(relogin.location).toBe(`${kratos.baseUrl}self-service/settings?flow=${flow.id}`);
      const resumed = await b.get(`/self-service/settings?flow=${flow.id}`);
      expect(resumed.status).toBe(303);
      expect((await b.fetchFlow('settings', flow.id)).state).toBe('success');
      expect((await new Browser(kratos).login('refresh@example.com', 'brand-new-passphrase')).status).toBe(303);
    } finally {
      now = Date.now();
    }
  });

  it('lets an old session change non-identifier traits', async () => {
    const b = await loggedIn('old-session@example.com');
    const flow = await b.startFlow('settings');
    now += 16 * 60_000;
    try {
      const res = await b.submitJson(flow, { method: 'profile', traits: { email: 'old-session@example.com', name: { last: 'Hopper' } } });
      expect(res.status).toBe(200);
      const changeEmail = await b.submitJson(flow, { method: 'profile', traits: { email: 'changed@example.com' } });
      expect(changeEmail.status).toBe(403);
      expect(changeEmail.body.error.id).toBe('session_refresh_required');
    } finally {
      now = Date.now();
    }
  });

  it('blocks another identity using the flow with 403 security_identity_mismatch', async () => {
    const owner = await loggedIn('owner@example.com');
    const flow = await owner.startFlow('settings');
    const intruder = await loggedIn('intruder@example.com');
    const res = await intruder.get(`/self-service/settings/flows?id=${flow.id}`, { accept: 'application/json' });
    expect(res.status).toBe(403);
    expect(res.body.error.id).toBe('security_identity_mismatch');
  });

  it('answers 410 with use_flow_id for an expired settings flow', async () => {
    const b = await loggedIn('expired-settings@example.com');
    const flow = await b.startFlow('settings');
    kratos.expireFlow(flow.id);
    const res = await b.submitJson(flow, { method: 'profile', traits: { email: 'expired-settings@example.com' } });
    expect(res.status).toBe(410);
    expect(messageIds(await b.fetchFlow('settings', res.body.use_flow_id))).toEqual([4050001]);
    const fetched = await b.get(`/self-service/settings/flows?id=${flow.id}`, { accept: 'application/json' });
    expect(fetched.status).toBe(410);
    expect(fetched.body.error.id).toBeUndefined();
  });

  it('rejects a settings form without the CSRF token', async () => {
    const b = await loggedIn('csrf-settings@example.com');
    const flow = await b.startFlow('settings');
    const res = await call(flow.ui.action, { jar: b.jar, headers: BROWSER, form: { method: 'profile', 'traits.email': 'csrf-settings@example.com' } });
    expect(res.status).toBe(303);
    expect(res.location).toContain(`${kratos.config.flows.error.uiUrl}?id=`);
  });
});
