import {
  Configuration,
  CourierApi,
  FrontendApi,
  IdentityApi,
  LoginFlowFromJSON,
  RecoveryFlowFromJSON,
  RegistrationFlowFromJSON,
  ResponseError,
  type ContinueWith,
  type Identity,
  type Session,
  type UiNode,
  type UiNodeInputAttributes,
  type UiNodeTextAttributes,
} from '@ory/kratos-client-fetch';
import * as OTPAuth from 'otpauth';
import { createCookieJar, type CookieJar } from '../helpers/cookie-jar';
import { startEmulator, type TestEmulator } from '../helpers/emulator';

// Drives the emulator only through the official Kratos v1.3 SDK, as a SPA would: every browser-flow call
// carries the browser's cookies (the CSRF cookie included) and `Accept: application/json`.

let kratos: TestEmulator;
let publicUrl: string;
let identities: IdentityApi;
let courier: CourierApi;
let counter = 0;

beforeAll(async () => {
  kratos = await startEmulator();
  publicUrl = kratos.publicUrl.replace(/\/$/, '');
  const admin = new Configuration({ basePath: kratos.adminUrl.replace(/\/$/, '') });
  identities = explained(new IdentityApi(admin));
  courier = explained(new CourierApi(admin));
});

afterAll(async () => {
  await kratos?.close();
});

interface Browser {
  jar: CookieJar;
  frontend: FrontendApi;
}

/** Makes an SDK rejection name the call, the status and the body it got, so a failing test says why. */
function explained<T extends object>(api: T): T {
  return new Proxy(api, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await value.apply(target, args);
        } catch (err) {
          if (err instanceof ResponseError) {
            const text = await err.response.clone().text();
            err.message = `${String(property)}: HTTP ${err.response.status} ${text.slice(0, 600)}`;
          }
          throw err;
        }
      };
    },
  });
}

function newBrowser(): Browser {
  const jar = createCookieJar();
  const frontend = new FrontendApi(new Configuration({ basePath: publicUrl, fetchApi: jar.fetch, headers: { Accept: 'application/json' } }));
  return { jar, frontend: explained(frontend) };
}

function uniqueEmail(): string {
  counter += 1;
  return `sdk-user-${counter}-${Date.now()}@example.com`;
}

function inputNode(nodes: UiNode[], name: string): UiNodeInputAttributes | undefined {
  return nodes.map((node) => node.attributes).find((a): a is UiNodeInputAttributes & { node_type: 'input' } => a.node_type === 'input' && a.name === name);
}

function csrfToken(nodes: UiNode[]): string {
  const value = inputNode(nodes, 'csrf_token')?.value;
  if (typeof value !== 'string' || value === '') throw new Error('flow has no csrf_token node value');
  return value;
}

async function rejection(promise: Promise<unknown>): Promise<{ status: number; body: any }> {
  try {
    await promise;
  } catch (err) {
    if (!(err instanceof ResponseError)) throw err;
    const text = await err.response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      throw new Error(`HTTP ${err.response.status} with a body that is not JSON: ${text.slice(0, 300)}`);
    }
    return { status: err.response.status, body };
  }
  throw new Error('expected the SDK call to be rejected with an HTTP error');
}

function expectValidDates(session: Session): void {
  for (const date of [session.expires_at, session.authenticated_at, session.issued_at]) {
    expect(date).toBeInstanceOf(Date);
    expect(Number.isNaN(date!.getTime())).toBe(false);
  }
}

async function createIdentityWithPassword(email: string, password: string): Promise<Identity> {
  return identities.createIdentity({
    createIdentityBody: { schema_id: 'default', traits: { email }, credentials: { password: { config: { password } } } },
  });
}

async function login(browser: Browser, identifier: string, password: string) {
  const flow = await browser.frontend.createBrowserLoginFlow();
  return browser.frontend.updateLoginFlow({
    flow: flow.id,
    updateLoginFlowBody: { method: 'password', identifier, password, csrf_token: csrfToken(flow.ui.nodes) },
  });
}

async function lastCodeFor(recipient: string): Promise<string> {
  const messages = await courier.listCourierMessages({ recipient });
  expect(messages.length).toBeGreaterThan(0);
  const newest = [...messages].sort((a, b) => b.created_at.getTime() - a.created_at.getTime())[0];
  const code = /\b(\d{6})\b/.exec(newest.body)?.[1];
  if (!code) throw new Error(`no 6-digit code in the message to ${recipient}: ${newest.body}`);
  return code;
}

function totpFor(secret: string): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
}

describe('registration and login with the official SDK', () => {
  it('registers through a browser registration flow in two steps with the CSRF cookie and gets a session', async () => {
    const browser = newBrowser();
    const email = uniqueEmail();
    const flow = await browser.frontend.createBrowserRegistrationFlow();
    expect(flow.type).toBe('browser');
    expect(browser.jar.get(kratos.csrfCookieName, publicUrl)).toMatch(/^[A-Za-z0-9+/]{43}=$/);

    const stepOne = await rejection(
      browser.frontend.updateRegistrationFlow({
        flow: flow.id,
        updateRegistrationFlowBody: { method: 'profile', traits: { email }, csrf_token: csrfToken(flow.ui.nodes) },
      }),
    );
    expect(stepOne.status).toBe(400);
    const stepTwo = RegistrationFlowFromJSON(stepOne.body);
    expect(stepTwo.id).toBe(flow.id);
    expect(stepTwo.ui.messages?.map((m) => m.id)).toEqual([1040009]);
    expect(inputNode(stepTwo.ui.nodes, 'password')).toMatchObject({ type: 'password', required: true });

    const result = await browser.frontend.updateRegistrationFlow({
      flow: flow.id,
      updateRegistrationFlowBody: { method: 'password', password: 'correct horse battery staple', traits: { email }, csrf_token: csrfToken(stepTwo.ui.nodes) },
    });
    expect(result.identity.traits).toEqual({ email });
    expect(result.session_token).toBeUndefined();
    expect(result.session?.identity?.id).toBe(result.identity.id);
    expect(browser.jar.get(kratos.sessionCookieName, publicUrl)).toBeTruthy();
    const verification = result.continue_with?.find((c: ContinueWith) => c.action === 'show_verification_ui');
    expect(verification).toMatchObject({ action: 'show_verification_ui', flow: { verifiable_address: email } });

    const session = await browser.frontend.toSession();
    expect(session.identity?.id).toBe(result.identity.id);
    expectValidDates(session);
  });

  it('rejects a registration submit from a browser without the CSRF cookie with security_csrf_violation', async () => {
    const browser = newBrowser();
    const flow = await browser.frontend.createBrowserRegistrationFlow();
    browser.jar.clear();
    const { status, body } = await rejection(
      browser.frontend.updateRegistrationFlow({
        flow: flow.id,
        updateRegistrationFlowBody: { method: 'profile', traits: { email: uniqueEmail() }, csrf_token: csrfToken(flow.ui.nodes) },
      }),
    );
    expect(status).toBe(403);
    expect(body.error.id).toBe('security_csrf_violation');
  });

  it('logs in through a browser login flow and reads the session with toSession', async () => {
    const email = uniqueEmail();
    const identity = await createIdentityWithPassword(email, 'a long enough password');
    const browser = newBrowser();

    const result = await login(browser, email, 'a long enough password');
    expect(result.session_token).toBeUndefined();
    expect(result.session.identity?.id).toBe(identity.id);
    expect(result.session.authenticator_assurance_level).toBe('aal1');
    expect(result.session.authentication_methods?.map((m) => [m.method, m.aal])).toEqual([['password', 'aal1']]);
    expect(result.continue_with).toEqual([{ action: 'redirect_browser_to', redirect_browser_to: 'http://127.0.0.1:4455/welcome' }]);

    const session = await browser.frontend.toSession();
    expect(session).toMatchObject({ id: result.session.id, active: true });
    expect(session.identity?.traits).toEqual({ email });
    expectValidDates(session);
    expect(session.expires_at!.getTime()).toBeGreaterThan(session.authenticated_at!.getTime());
  });

  it('answers a wrong password with the login flow carrying message 4000006', async () => {
    const email = uniqueEmail();
    await createIdentityWithPassword(email, 'a long enough password');
    const { status, body } = await rejection(login(newBrowser(), email, 'not the password'));
    expect(status).toBe(400);
    const flow = LoginFlowFromJSON(body);
    expect(flow.ui.messages?.map((m) => [m.id, m.type])).toEqual([[4000006, 'error']]);
    expect(inputNode(flow.ui.nodes, 'identifier')?.value).toBe(email);
  });

  it('answers toSession without a session with 401', async () => {
    const { status, body } = await rejection(newBrowser().frontend.toSession());
    expect(status).toBe(401);
    expect(body.error).toMatchObject({ code: 401, status: 'Unauthorized' });
  });
});

describe('settings with the official SDK', () => {
  it('changes the password through a settings flow', async () => {
    const email = uniqueEmail();
    await createIdentityWithPassword(email, 'the first password');
    const browser = newBrowser();
    await login(browser, email, 'the first password');

    const flow = await browser.frontend.createBrowserSettingsFlow();
    expect(flow.state).toBe('show_form');
    expect(inputNode(flow.ui.nodes, 'password')).toMatchObject({ type: 'password', autocomplete: 'new-password' });
    const updated = await browser.frontend.updateSettingsFlow({
      flow: flow.id,
      updateSettingsFlowBody: { method: 'password', password: 'the second password', csrf_token: csrfToken(flow.ui.nodes) },
    });
    expect(updated.state).toBe('success');
    expect(updated.ui.messages?.map((m) => [m.id, m.type])).toEqual([[1050001, 'success']]);

    await expect(login(newBrowser(), email, 'the second password')).resolves.toMatchObject({ session: { active: true } });
    expect((await rejection(login(newBrowser(), email, 'the first password'))).status).toBe(400);
  });

  it('enrols TOTP in settings, then requires and accepts a TOTP code for aal2', async () => {
    const email = uniqueEmail();
    const identity = await createIdentityWithPassword(email, 'password for totp');
    const browser = newBrowser();
    await login(browser, email, 'password for totp');

    const flow = await browser.frontend.createBrowserSettingsFlow();
    const secretNode = flow.ui.nodes.find((n) => n.attributes.node_type === 'text' && (n.attributes as UiNodeTextAttributes).id === 'totp_secret_key');
    const secret = (secretNode?.attributes as UiNodeTextAttributes | undefined)?.text.text;
    expect(secret).toMatch(/^[A-Z2-7]+=*$/);
    const enrolled = await browser.frontend.updateSettingsFlow({
      flow: flow.id,
      updateSettingsFlowBody: { method: 'totp', totp_code: totpFor(secret!).generate(), csrf_token: csrfToken(flow.ui.nodes) },
    });
    expect(enrolled.state).toBe('success');
    expect(inputNode(enrolled.ui.nodes, 'totp_unlink')).toMatchObject({ type: 'submit', value: 'true' });

    const second = newBrowser();
    const firstFactor = await rejection(login(second, email, 'password for totp'));
    expect(firstFactor.status).toBe(422);
    expect(firstFactor.body.error.id).toBe('browser_location_change_required');
    expect(firstFactor.body.redirect_browser_to).toBe(`${publicUrl}/self-service/login/browser?aal=aal2`);
    const aal1 = await rejection(second.frontend.toSession());
    expect(aal1.status).toBe(403);
    expect(aal1.body.error.id).toBe('session_aal2_required');

    const aal2Flow = await second.frontend.createBrowserLoginFlow({ aal: 'aal2' });
    expect(aal2Flow.requested_aal).toBe('aal2');
    expect(aal2Flow.ui.messages?.map((m) => m.id)).toEqual([1010004]);
    expect(inputNode(aal2Flow.ui.nodes, 'totp_code')).toBeDefined();
    const upgraded = await second.frontend.updateLoginFlow({
      flow: aal2Flow.id,
      updateLoginFlowBody: { method: 'totp', totp_code: totpFor(secret!).generate(), csrf_token: csrfToken(aal2Flow.ui.nodes) },
    });
    expect(upgraded.session.authenticator_assurance_level).toBe('aal2');
    expect(upgraded.session.authentication_methods?.map((m) => m.method)).toEqual(['password', 'totp']);

    const session = await second.frontend.toSession();
    expect(session).toMatchObject({ id: upgraded.session.id, authenticator_assurance_level: 'aal2', identity: { id: identity.id } });
  });
});

describe('recovery and verification with the official SDK', () => {
  it('recovers an account with the code sent by the courier and lands in a settings flow', async () => {
    const email = uniqueEmail();
    const identity = await createIdentityWithPassword(email, 'forgotten password');
    const browser = newBrowser();

    const flow = await browser.frontend.createBrowserRecoveryFlow();
    expect(flow).toMatchObject({ state: 'choose_method', active: 'code' });
    const sent = await browser.frontend.updateRecoveryFlow({
      flow: flow.id,
      updateRecoveryFlowBody: { method: 'code', email, csrf_token: csrfToken(flow.ui.nodes) },
    });
    expect(sent.state).toBe('sent_email');
    expect(sent.ui.messages?.map((m) => m.id)).toEqual([1060003]);
    const [message] = await courier.listCourierMessages({ recipient: email });
    expect(message).toMatchObject({ recipient: email, template_type: 'recovery_code_valid' });
    const code = await lastCodeFor(email);

    const wrong = await browser.frontend.updateRecoveryFlow({
      flow: flow.id,
      updateRecoveryFlowBody: { method: 'code', code: code === '000000' ? '111111' : '000000', csrf_token: csrfToken(sent.ui.nodes) },
    });
    expect(wrong.ui.messages?.map((m) => m.id)).toEqual([4060006]);

    const done = await browser.frontend.updateRecoveryFlow({
      flow: flow.id,
      updateRecoveryFlowBody: { method: 'code', code, csrf_token: csrfToken(wrong.ui.nodes) },
    });
    expect(RecoveryFlowFromJSON(done).state).toBe('passed_challenge');
    const settings = done.continue_with?.find((c: ContinueWith) => c.action === 'show_settings_ui') as { flow: { id: string } } | undefined;
    expect(settings?.flow.id).toEqual(expect.any(String));

    const session = await browser.frontend.toSession();
    expect(session.identity?.id).toBe(identity.id);
    expect(session.authentication_methods?.map((m) => m.method)).toEqual(['code_recovery']);
    const settingsFlow = await browser.frontend.getSettingsFlow({ id: settings!.flow.id });
    expect(settingsFlow.ui.messages?.map((m) => [m.id, m.type])).toEqual([[1060001, 'success']]);
  });

  it('verifies an email address with the code sent by the courier', async () => {
    const email = uniqueEmail();
    const identity = await createIdentityWithPassword(email, 'password to verify');
    expect(identity.verifiable_addresses).toEqual([expect.objectContaining({ value: email, verified: false, status: 'pending' })]);
    const browser = newBrowser();

    const flow = await browser.frontend.createBrowserVerificationFlow();
    expect(flow).toMatchObject({ state: 'choose_method', active: 'code' });
    const sent = await browser.frontend.updateVerificationFlow({
      flow: flow.id,
      updateVerificationFlowBody: { method: 'code', email, csrf_token: csrfToken(flow.ui.nodes) },
    });
    expect(sent.state).toBe('sent_email');
    expect(sent.ui.messages?.map((m) => m.id)).toEqual([1080003]);

    const done = await browser.frontend.updateVerificationFlow({
      flow: flow.id,
      updateVerificationFlowBody: { method: 'code', code: await lastCodeFor(email), csrf_token: csrfToken(sent.ui.nodes) },
    });
    expect(done.state).toBe('passed_challenge');
    expect(done.ui.messages?.map((m) => [m.id, m.type])).toEqual([[1080002, 'success']]);

    const verified = await identities.getIdentity({ id: identity.id });
    expect(verified.verifiable_addresses?.[0]).toMatchObject({ value: email, verified: true, status: 'completed' });
    expect(verified.verifiable_addresses?.[0].verified_at).toBeInstanceOf(Date);
  });
});

describe('logout with the official SDK', () => {
  it('logs out with createBrowserLogoutFlow and updateLogoutFlow', async () => {
    const email = uniqueEmail();
    await createIdentityWithPassword(email, 'password to log out');
    const browser = newBrowser();
    await login(browser, email, 'password to log out');

    const logout = await browser.frontend.createBrowserLogoutFlow();
    expect(logout.logout_token).toMatch(/^ory_lo_[A-Za-z0-9]{32}$/);
    expect(logout.logout_url).toBe(`${publicUrl}/self-service/logout?token=${logout.logout_token}`);
    await expect(browser.frontend.updateLogoutFlow({ token: logout.logout_token })).resolves.toBeUndefined();

    expect(browser.jar.get(kratos.sessionCookieName, publicUrl)).toBeUndefined();
    expect((await rejection(browser.frontend.toSession())).status).toBe(401);
  });
});

describe('admin API with the official SDK', () => {
  it('creates and reads an identity and lists its sessions', async () => {
    const email = uniqueEmail();
    const created = await createIdentityWithPassword(email, 'admin made password');
    expect(created).toMatchObject({ schema_id: 'default', state: 'active', traits: { email } });

    const read = await identities.getIdentity({ id: created.id });
    expect(read).toMatchObject({ id: created.id, traits: { email } });
    expect(read.created_at).toBeInstanceOf(Date);

    const first = await login(newBrowser(), email, 'admin made password');
    const second = await login(newBrowser(), email, 'admin made password');
    const sessions = await identities.listIdentitySessions({ id: created.id });
    expect(sessions.map((s) => s.id).sort()).toEqual([first.session.id, second.session.id].sort());
    sessions.forEach(expectValidDates);
  });

  it('answers getIdentity for an unknown id with 404', async () => {
    const { status, body } = await rejection(identities.getIdentity({ id: '00000000-0000-4000-8000-000000000000' }));
    expect(status).toBe(404);
    expect(body.error.code).toBe(404);
  });
});
