import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import request from 'supertest';
import { closeSharedContexts } from '../../lib/context';
import { flowRoutes } from '../../lib/flows';
import { startEmulator, type TestEmulator } from '../helpers/emulator';
import { startFaultyKratos, type FaultyKratos } from '../helpers/faulty-kratos';
import { appWith } from './helpers';

let faulty: FaultyKratos;
let kratos: TestEmulator;
beforeAll(async () => {
  faulty = await startFaultyKratos('status500');
  kratos = await startEmulator();
});
afterAll(async () => {
  await closeSharedContexts();
  await faulty.close();
  await kratos.close();
});

const id = randomUUID();
const app = (timeout = 2000) => appWith('Express 5', flowRoutes({ publicUrl: faulty.url, timeout }));
const answer = (status: number, body: unknown) => (_req: unknown, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('when Kratos misbehaves', () => {
  const down: [string, Parameters<FaultyKratos['setBehaviour']>[0], number][] = [
    ['answers 500', 'status500', 503],
    ['answers 503', 'status503', 503],
    ['answers 429', 'status429', 503],
    ['answers HTML', 'html', 502],
    ['answers malformed JSON', 'bad-json', 502],
    ['cuts its answer short', 'truncated-json', 502],
    ['times out', 'hang', 504],
  ];
  it.each(down)('renders an error page when Kratos %s, without redirecting', async (_name, behaviour, status) => {
    faulty.setBehaviour(behaviour);
    const res = await request(app(300)).get(`/login?flow=${id}`);
    expect(res.status).toBe(status);
    expect(res.headers.location).toBeUndefined();
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toMatch(/The sign-in service is unavailable/);
    expect(res.text).not.toContain(faulty.url);
  });

  it('keeps Retry-After of a 429', async () => {
    faulty.setBehaviour('status429');
    const res = await request(app()).get(`/settings?flow=${id}`);
    expect(res.headers['retry-after']).toBe('30');
  });

  it('renders an error page when Kratos cannot be reached', async () => {
    const refused = await startFaultyKratos('refuse');
    const res = await request(appWith('Express 5', flowRoutes({ publicUrl: refused.url }))).get(`/error?id=${id}`);
    expect(res.status).toBe(502);
  });

  it('renders an error page when the emulator fails the flow fetch (kratos.fault)', async () => {
    const remove = kratos.fault({ route: '/self-service/login/flows', status: 500, times: 1 });
    const res = await request(appWith('Express 5', flowRoutes({ publicUrl: kratos.publicUrl }))).get(`/login?flow=${id}`);
    remove();
    expect(res.status).toBe(503);
  });

  it('sends the browser back to the app when Kratos says a session is already available', async () => {
    faulty.setBehaviour(answer(400, { error: { id: 'session_already_available', code: 400, status: 'Bad Request', message: 'you are already logged in' } }));
    const res = await request(app()).get(`/login?flow=${id}&return_to=/orders`).set('Host', 'app.example.com');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('http://app.example.com/orders');
    const home = await request(app()).get(`/login?flow=${id}`);
    expect(home.headers.location).toBe('/');
  });

  it('follows a redirect_browser_to on Kratos and maps it to the browser URL', async () => {
    faulty.setBehaviour(
      answer(403, {
        error: { id: 'session_refresh_required', code: 403, status: 'Forbidden', message: 'refresh' },
        redirect_browser_to: `${faulty.url}/self-service/login/browser?refresh=true`,
      }),
    );
    const res = await request(appWith('Express 5', flowRoutes({ publicUrl: faulty.url, browserUrl: '/.ory' }))).get(`/settings?flow=${id}`).set('Host', 'app.example.com');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('http://app.example.com/.ory/self-service/login/browser?refresh=true');
  });

  it('follows a browser_location_change_required to the app itself', async () => {
    faulty.setBehaviour(
      answer(422, {
        error: { id: 'browser_location_change_required', code: 422, status: 'Unprocessable Entity', message: 'browser location change required' },
        redirect_browser_to: 'http://app.example.com/settings?flow=x',
      }),
    );
    const res = await request(app()).get(`/recovery?flow=${id}`).set('Host', 'app.example.com');
    expect(res.headers.location).toBe('http://app.example.com/settings?flow=x');
  });

  it.each(['https://evil.example/phish', 'javascript:alert(1)', '//evil.example/', 'http://127.0.0.1:1/self-service/login/browser'])(
    'never follows a redirect_browser_to pointing elsewhere (%s): error page instead',
    async (target) => {
      faulty.setBehaviour(
        answer(403, { error: { id: 'session_aal2_required', code: 403, status: 'Forbidden', message: 'aal2' }, redirect_browser_to: target }),
      );
      const res = await request(app()).get(`/settings?flow=${id}`).set('Host', 'app.example.com');
      expect(res.status).toBe(502);
      expect(res.headers.location).toBeUndefined();
    },
  );

  it('renders a 4xx error Kratos means for the user with its status and message', async () => {
    faulty.setBehaviour(
      answer(400, { error: { id: 'self_service_flow_disabled', code: 400, status: 'Bad Request', message: 'registration flow disabled', reason: 'Registration is not allowed because it was disabled.' } }),
    );
    const res = await request(app()).get(`/registration?flow=${id}`);
    expect(res.status).toBe(400);
    expect(res.text).toContain('Registration is not allowed because it was disabled.');
  });

  it('renders an error page when a 200 flow is not a flow', async () => {
    faulty.setBehaviour(answer(200, { hello: 'world' }));
    const res = await request(app()).get(`/login?flow=${id}`);
    expect(res.status).toBe(502);
  });

  it('renders an error page when the logout URL Kratos returns is not a Kratos URL', async () => {
    faulty.setBehaviour(answer(200, { logout_url: 'https://evil.example/logout', logout_token: 'ory_lo_x' }));
    const res = await request(app()).get('/logout').set('Cookie', 'ory_kratos_session=abc');
    expect(res.status).toBe(502);
    expect(res.headers.location).toBeUndefined();
  });

  it('answers a malformed session cookie on /settings with a 400 page, without asking Kratos', async () => {
    faulty.requests.length = 0;
    const res = await request(app()).get('/settings').set('Cookie', 'ory_kratos_session=a\\b');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toMatch(/ory_kratos_session cookie is malformed/);
    expect(faulty.requests).toHaveLength(0);
  });

  it('answers a malformed session cookie on /logout with a 400 page', async () => {
    const res = await request(app()).get('/logout').set('Cookie', 'ory_kratos_session="a b"');
    expect(res.status).toBe(400);
  });
});
