import { type KratosEmulator } from '../../lib/emulator';
import { startEmulator } from '../helpers/emulator';
import { Browser, csrfOf, flowIdOf, messageIds, node, nodeNames } from './flow-helpers';
import { BROWSER, call } from './jar';

const PASSWORD = 'correct-horse-battery-staple';

describe('login flow', () => {
  let kratos: KratosEmulator;
  let ui: string;
  beforeAll(async () => {
    kratos = await startEmulator();
    ui = kratos.config.flows.login.uiUrl;
    await kratos.createIdentity({ traits: { email: 'login@example.com' }, password: PASSWORD });
  });
  afterAll(() => kratos.close());

  it('redirects a browser navigation to the login ui_url with ?flow= and sets the CSRF cookie', async () => {
    const b = new Browser(kratos);
    const res = await b.get('/self-service/login/browser');
    expect(res.status).toBe(303);
    expect(res.location).toMatch(new RegExp(`^${ui}\\?flow=[0-9a-f-]{36}$`));
    expect(b.jar.get(kratos.csrfCookieName)).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  it('answers a JSON init with the flow: csrf_token, identifier, password, method', async () => {
    const b = new Browser(kratos);
    const res = await b.get('/self-service/login/browser', { accept: 'application/json' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ type: 'browser', state: 'choose_method', refresh: false, requested_aal: 'aal1', organization_id: null });
    expect(res.body.ui.action).toBe(`${kratos.baseUrl}self-service/login?flow=${res.body.id}`);
    expect(nodeNames(res.body)).toEqual(['default:csrf_token', 'default:identifier', 'password:password', 'password:method']);
    expect(node(res.body, 'identifier').meta.label).toEqual({ id: 1070002, text: 'E-Mail', type: 'info', context: { title: 'E-Mail' } });
    expect(res.body.ui.messages).toBeUndefined();
  });

  it('logs a browser in with a form post: 303 to the default return URL, session cookie, new CSRF cookie', async () => {
    const b = new Browser(kratos);
    const flow = await b.startFlow('login');
    const csrfBefore = b.jar.get(kratos.csrfCookieName);
    const res = await b.submitForm(flow, { method: 'password', identifier: 'LOGIN@example.com', password: PASSWORD });
    expect(res.status).toBe(303);
    expect(res.location).toBe(kratos.config.defaultBrowserReturnUrl);
    expect(res.setCookies.find((c) => c.startsWith(`${kratos.sessionCookieName}=`))).toMatch(/HttpOnly/);
    expect(b.jar.get(kratos.csrfCookieName)).not.toBe(csrfBefore);
    const who = await b.whoami();
    expect(who.status).toBe(200);
    expect(who.body.authentication_methods).toEqual([expect.objectContaining({ method: 'password', aal: 'aal1' })]);
  });

  it('answers a JSON login with the session and continue_with redirect_browser_to', async () => {
    const b = new Browser(kratos);
    const flow = await b.startFlow('login', '?return_to=http://127.0.0.1:4455/after');
    const res = await b.submitJson(flow, { method: 'password', identifier: 'login@example.com', password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body.session.identity.traits.email).toBe('login@example.com');
    expect(res.body.continue_with).toEqual([{ action: 'redirect_browser_to', redirect_browser_to: 'http://127.0.0.1:4455/after' }]);
    expect(res.body.session_token).toBeUndefined();
  });

  it('sends a wrong password back to the UI with 4000006 and the identifier kept (nav 303, json 400)', async () => {
    const b = new Browser(kratos);
    const flow = await b.startFlow('login');
    const nav = await b.submitForm(flow, { method: 'password', identifier: 'login@example.com', password: 'wrong-password-123' });
    expect(nav.status).toBe(303);
    expect(nav.location).toBe(`${ui}?flow=${flow.id}`);
    const after = await b.fetchFlow('login', flow.id);
    expect(messageIds(after)).toEqual([4000006]);
    expect(node(after, 'identifier').attributes.value).toBe('login@example.com');
    expect(node(after, 'password').attributes.value).toBeUndefined();
    const json = await b.submitJson(after, { method: 'password', identifier: 'nobody@example.com', password: 'whatever-123' });
    expect(json.status).toBe(400);
    expect(messageIds(json.body)).toEqual([4000006]);
  });

  it('reports a missing identifier on the node before checking CSRF', async () => {
    const b = new Browser(kratos);
    const flow = await b.startFlow('login');
    const res = await call(flow.ui.action, { jar: b.jar, json: { method: 'password', password: 'x', csrf_token: 'bogus' } });
    expect(res.status).toBe(400);
    expect(node(res.body, 'identifier').messages).toEqual([{ id: 4000002, text: 'Property identifier is missing.', type: 'error', context: { property: 'identifier' } }]);
  });

  it('rejects a submit with a wrong CSRF token: 403 JSON, or 303 to the error UI for a form', async () => {
    const b = new Browser(kratos);
    const flow = await b.startFlow('login');
    const json = await call(flow.ui.action, { jar: b.jar, json: { method: 'password', identifier: 'login@example.com', password: PASSWORD, csrf_token: 'AAAA' } });
    expect(json.status).toBe(403);
    expect(json.body.error.id).toBe('security_csrf_violation');
    const stranger = new Browser(kratos);
    const nav = await call(flow.ui.action, { jar: stranger.jar, headers: BROWSER, form: { method: 'password', identifier: 'login@example.com', password: PASSWORD, csrf_token: csrfOf(flow) } });
    expect(nav.status).toBe(303);
    expect(nav.location).toMatch(new RegExp(`^${kratos.config.flows.error.uiUrl}\\?id=`));
    const errorId = new URL(nav.location!).searchParams.get('id');
    const stored = await call(`${kratos.publicUrl}/self-service/errors?id=${errorId}`);
    expect(stored.status).toBe(200);
    expect(stored.body.error.id).toBe('security_csrf_violation');
  });

  it('answers 403 security_csrf_violation when another browser fetches the flow', async () => {
    const b = new Browser(kratos);
    const flow = await b.startFlow('login');
    const other = new Browser(kratos);
    const res = await other.get(`/self-service/login/flows?id=${flow.id}`, BROWSER);
    expect(res.status).toBe(403);
    expect(res.body.error.id).toBe('security_csrf_violation');
  });

  it('answers 404 for unknown and malformed flow ids, 400 for a submit without ?flow=', async () => {
    const b = new Browser(kratos);
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', '']) {
      const res = await b.get(`/self-service/login/flows?id=${id}`, { accept: 'application/json' });
      expect(res.status).toBe(404);
      expect(res.body.error.message).toBe('Unable to locate the resource');
    }
    const missing = await call(`${kratos.publicUrl}/self-service/login`, { json: { method: 'password' } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.reason).toBe('The flow query parameter is missing or malformed.');
    const malformed = await call(`${kratos.publicUrl}/self-service/login?flow=zzz`, { headers: BROWSER, form: { method: 'password' } });
    expect(malformed.status).toBe(303);
    expect(malformed.location).toContain('?id=');
  });

  it('answers an expired flow: fetch 410 with details, submit 410 with use_flow_id, form 303 to a new flow', async () => {
    const b = new Browser(kratos);
    const flow = await b.startFlow('login');
    kratos.expireFlow(flow.id);
    const fetched = await b.get(`/self-service/login/flows?id=${flow.id}`, { accept: 'application/json' });
    expect(fetched.status).toBe(410);
    expect(fetched.body.error.id).toBe('self_service_flow_expired');
    expect(fetched.body.error.details.redirect_to).toBe(`${kratos.baseUrl}self-service/login/browser`);
    const json = await b.submitJson(flow, { method: 'password', identifier: 'login@example.com', password: PASSWORD });
    expect(json.status).toBe(410);
    expect(json.body.error.id).toBe('self_service_flow_expired');
    expect(json.body.use_flow_id).toMatch(/^[0-9a-f-]{36}$/);
    const replacement = await b.fetchFlow('login', json.body.use_flow_id);
    expect(messageIds(replacement)).toEqual([4010001]);
    const nav = await b.submitForm(flow, { method: 'password', identifier: 'login@example.com', password: PASSWORD });
    expect(nav.status).toBe(303);
    expect(flowIdOf(nav.location)).not.toBe(flow.id);
  });

  it('with a session: nav 303 to the default return URL, json 400 session_already_available', async () => {
    const b = new Browser(kratos);
    await b.login('login@example.com', PASSWORD);
    const nav = await b.get('/self-service/login/browser');
    expect(nav.status).toBe(303);
    expect(nav.location).toBe(kratos.config.defaultBrowserReturnUrl);
    const json = await b.get('/self-service/login/browser', { accept: 'application/json' });
    expect(json.status).toBe(400);
    expect(json.body.error).toMatchObject({ id: 'session_already_available', message: 'you are already logged in' });
  });

  it('refresh=true keeps the session id and accumulates authentication methods', async () => {
    const b = new Browser(kratos);
    await b.login('login@example.com', PASSWORD);
    const before = (await b.whoami()).body;
    const flow = await b.startFlow('login', '?refresh=true');
    expect(flow.refresh).toBe(true);
    expect(messageIds(flow)).toEqual([1010003]);
    expect(node(flow, 'identifier').attributes).toMatchObject({ type: 'hidden', value: 'login@example.com' });
    expect(node(flow, 'method').meta.label.id).toBe(1010001);
    const res = await b.submitForm(flow, { method: 'password', identifier: 'login@example.com', password: PASSWORD });
    expect(res.status).toBe(303);
    const after = (await b.whoami()).body;
    expect(after.id).toBe(before.id);
    expect(after.authentication_methods.map((m: { method: string }) => m.method)).toEqual(['password', 'password']);
  });

  it('aal=aal2 without a session answers 401 session_aal1_required, a bad aal 400', async () => {
    const b = new Browser(kratos);
    const res = await b.get('/self-service/login/browser?aal=aal2', { accept: 'application/json' });
    expect(res.status).toBe(401);
    expect(res.body.error.id).toBe('session_aal1_required');
    const bad = await b.get('/self-service/login/browser?aal=aal9', { accept: 'application/json' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.reason).toContain('but got aal9');
  });

  it('accepts the empty query parameters the reference UI sends', async () => {
    const b = new Browser(kratos);
    const res = await b.get('/self-service/login/browser?aal=&refresh=&return_to=&organization=&via=');
    expect(res.status).toBe(303);
    expect(res.location).toContain(`${ui}?flow=`);
  });

  it('creates API flows without cookies and answers a token on success', async () => {
    const init = await call(`${kratos.publicUrl}/self-service/login/api`);
    expect(init.status).toBe(200);
    expect(init.setCookies).toEqual([]);
    expect(init.body.type).toBe('api');
    expect(csrfOf(init.body)).toBe('');
    const res = await call(init.body.ui.action, { json: { method: 'password', identifier: 'login@example.com', password: PASSWORD } });
    expect(res.status).toBe(200);
    expect(res.body.session_token).toMatch(/^ory_st_[A-Za-z0-9]{32}$/);
    expect(res.setCookies).toEqual([]);
    const who = await call(`${kratos.publicUrl}/sessions/whoami`, { headers: { 'x-session-token': res.body.session_token } });
    expect(who.status).toBe(200);
  });

  it('turns a malformed body into a precise 400, never a crash', async () => {
    const b = new Browser(kratos);
    const flow = await b.startFlow('login');
    const bad = await call(flow.ui.action, { jar: b.jar, method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: '{"method":' });
    expect(bad.status).toBe(400);
    expect(messageIds(bad.body)).toEqual([4000001]);
    const big = await call(flow.ui.action, { jar: b.jar, method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ x: 'a'.repeat(1_100_000) }) });
    expect(big.status).toBe(413);
    const multipart = new FormData();
    multipart.set('method', 'password');
    multipart.set('identifier', 'login@example.com');
    multipart.set('password', PASSWORD);
    multipart.set('csrf_token', csrfOf(flow));
    const mp = await call(flow.ui.action, { jar: b.jar, method: 'POST', headers: { accept: 'application/json' }, body: multipart });
    expect(mp.status).toBe(200);
  });
});
