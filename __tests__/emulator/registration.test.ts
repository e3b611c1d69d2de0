import { type KratosEmulator } from '../../lib/emulator';
import { startEmulator } from '../helpers/emulator';
import { Browser, flowIdOf, messageIds, node, nodeNames } from './flow-helpers';
import { call } from './jar';

const PASSWORD = 'correct-horse-battery-staple';

describe('registration flow (two-step, session + show_verification_ui hooks)', () => {
  let kratos: KratosEmulator;
  beforeAll(async () => {
    kratos = await startEmulator();
  });
  afterAll(() => kratos.close());

  it('starts with default-group traits, csrf_token and the profile submit', async () => {
    const flow = await new Browser(kratos).startFlow('registration');
    expect(nodeNames(flow)).toEqual(['default:traits.email', 'default:traits.name.first', 'default:traits.name.last', 'default:csrf_token', 'profile:method']);
    expect(node(flow, 'traits.email').attributes).toMatchObject({ type: 'email', autocomplete: 'email', required: true });
    expect(node(flow, 'method').meta.label.id).toBe(1040001);
  });

  it('registers in two steps by form: 302 on invalid traits, then password, then the verification UI with a session', async () => {
    const b = new Browser(kratos);
    const flow = await b.startFlow('registration');
    const invalid = await b.submitForm(flow, { method: 'profile', 'traits.email': 'nope' });
    expect(invalid.status).toBe(302);
    expect(flowIdOf(invalid.location)).toBe(flow.id);
    expect(node(await b.fetchFlow('registration', flow.id), 'traits.email').messages[0].id).toBe(4000001);

    const step1 = await b.submitForm(flow, { method: 'profile', 'traits.email': 'new@example.com', 'traits.name.first': 'Ada' });
    expect(step1.status).toBe(303);
    const two = await b.fetchFlow('registration', flow.id);
    expect(messageIds(two)).toEqual([1040009]);
    expect(nodeNames(two)).toEqual(['password:password', 'password:method', 'profile:screen', 'default:traits.email', 'default:traits.name.first', 'default:csrf_token']);
    expect(node(two, 'traits.email').attributes).toMatchObject({ type: 'hidden', value: 'new@example.com' });

    const weak = await b.submitForm(two, { method: 'password', password: 'short', 'traits.email': 'new@example.com' });
    expect(weak.status).toBe(302);
    expect(node(await b.fetchFlow('registration', flow.id), 'password').messages[0].id).toBe(4000032);
    const similar = await b.submitForm(two, { method: 'password', password: 'new@example.com1', 'traits.email': 'new@example.com' });
    expect(similar.status).toBe(302);
    expect(node(await b.fetchFlow('registration', flow.id), 'password').messages[0].id).toBe(4000031);

    const done = await b.submitForm(two, { method: 'password', password: PASSWORD, 'traits.email': 'new@example.com', 'traits.name.first': 'Ada' });
    expect(done.status).toBe(303);
    expect(done.location).toMatch(new RegExp(`^${kratos.config.flows.verification.uiUrl}\\?flow=`));
    const who = await b.whoami();
    expect(who.status).toBe(200);
    expect(who.body.identity.traits).toEqual({ email: 'new@example.com', name: { first: 'Ada' } });
    expect(kratos.lastCode('new@example.com')).toMatch(/^[0-9]{6}$/);
    const verification = await b.fetchFlow('verification', flowIdOf(done.location));
    expect(verification.state).toBe('sent_email');
  });

  it('answers JSON step one with 400 and the flow, then 200 with session, identity and continue_with', async () => {
    const b = new Browser(kratos);
    const flow = await b.startFlow('registration');
    const step1 = await b.submitJson(flow, { method: 'profile', traits: { email: 'json@example.com' } });
    expect(step1.status).toBe(400);
    expect(messageIds(step1.body)).toEqual([1040009]);
    const back = await b.submitJson(step1.body, { screen: 'previous' });
    expect(node(back.body, 'traits.email').attributes.value).toBe('json@example.com');
    const again = await b.submitJson(back.body, { method: 'profile', traits: { email: 'json@example.com' } });
    const done = await b.submitJson(again.body, { method: 'password', password: PASSWORD, traits: { email: 'json@example.com' } });
    expect(done.status).toBe(200);
    expect(done.body.identity.traits.email).toBe('json@example.com');
    expect(done.body.session.identity.id).toBe(done.body.identity.id);
    expect(done.body.continue_with[0]).toMatchObject({ action: 'show_verification_ui', flow: { verifiable_address: 'json@example.com' } });
  });

  it('reports a duplicate identifier as 4000028 on the flow', async () => {
    await kratos.createIdentity({ traits: { email: 'taken@example.com' }, password: PASSWORD });
    const b = new Browser(kratos);
    const flow = await b.startFlow('registration');
    const step1 = await b.submitJson(flow, { method: 'profile', traits: { email: 'taken@example.com' } });
    const res = await b.submitJson(step1.body, { method: 'password', password: PASSWORD, traits: { email: 'taken@example.com' } });
    expect(res.status).toBe(400);
    expect(res.body.ui.messages[0]).toMatchObject({ id: 4000028, text: 'You tried signing in with taken@example.com which is already in use by another account. You can sign in using your password.' });
  });

  it('with a session: json 400 session_already_available at init, nav 303 to the default return URL', async () => {
    const b = new Browser(kratos);
    await kratos.createIdentity({ traits: { email: 'has-session@example.com' }, password: PASSWORD });
    await b.login('has-session@example.com', PASSWORD);
    const json = await b.get('/self-service/registration/browser', { accept: 'application/json' });
    expect(json.status).toBe(400);
    expect(json.body.error.reason).toBe('A valid session was detected and thus registration is not possible.');
    const nav = await b.get('/self-service/registration/browser');
    expect(nav.status).toBe(303);
    expect(nav.location).toBe(kratos.config.defaultBrowserReturnUrl);
  });

  it('answers 400 self_service_flow_disabled when registration is disabled', async () => {
    const off = await startEmulator({ overrides: { selfservice: { flows: { registration: { enabled: false } } } } });
    try {
      const res = await call(`${off.publicUrl}/self-service/registration/browser`, { headers: { accept: 'application/json' } });
      expect(res.status).toBe(400);
      expect(res.body.error.id).toBe('self_service_flow_disabled');
    } finally {
      await off.close();
    }
  });

  it('without the session hook creates the identity but no session; legacy one-step shows one form', async () => {
    const legacy = await startEmulator({
      overrides: { selfservice: { flows: { registration: { enable_legacy_one_step: true, after: { password: { hooks: [] } } }, verification: { enabled: false } } } },
    });
    try {
      const b = new Browser(legacy);
      const flow = await b.startFlow('registration');
      expect(nodeNames(flow)).toEqual(['default:csrf_token', 'password:traits.email', 'password:password', 'password:traits.name.first', 'password:traits.name.last', 'password:method']);
      const res = await b.submitForm(flow, { method: 'password', password: PASSWORD, 'traits.email': 'legacy@example.com' });
      expect(res.status).toBe(303);
      expect(res.location).toBe(legacy.config.defaultBrowserReturnUrl);
      expect((await b.whoami()).status).toBe(401);
      const list = await call(`${legacy.adminUrl}/admin/identities?credentials_identifier=legacy@example.com`);
      expect(list.body).toHaveLength(1);
    } finally {
      await legacy.close();
    }
  });
});
