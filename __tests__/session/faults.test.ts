import request from 'supertest';
import { closeSharedContexts } from '../../lib/context';
import { optionalSession, requireSession } from '../../lib/session/factories';
import { appWith, FRAMEWORKS } from '../helpers/apps';
import { startEmulator, type TestEmulator } from '../helpers/emulator';
import { startFaultyKratos, type FaultyBehaviour, type FaultyKratos } from '../helpers/faulty-kratos';

const BROWSER = { Accept: 'text/html', Host: 'app.test', Cookie: 'ory_kratos_session=some-session' };
const API = { Accept: 'application/json', Host: 'app.test', Cookie: 'ory_kratos_session=some-session' };

const cases: Array<[FaultyBehaviour, string, number, string | undefined]> = [
  ['refuse', 'KRATOS_UNREACHABLE', 502, undefined],
  ['hang', 'KRATOS_TIMEOUT', 504, undefined],
  ['status500', 'KRATOS_UNAVAILABLE', 503, undefined],
  ['status503', 'KRATOS_UNAVAILABLE', 503, undefined],
  ['status429', 'KRATOS_UNAVAILABLE', 503, '30'],
  ['html', 'KRATOS_BAD_RESPONSE', 502, undefined],
  ['truncated-json', 'KRATOS_BAD_RESPONSE', 502, undefined],
  ['bad-json', 'KRATOS_BAD_RESPONSE', 502, undefined],
  ['not-a-session', 'KRATOS_BAD_RESPONSE', 502, undefined],
];

afterAll(() => closeSharedContexts());

describe.each(cases)('with a Kratos that answers %s', (behaviour, code, status, retryAfter) => {
  let faulty: FaultyKratos;
  beforeAll(async () => {
    faulty = await startFaultyKratos(behaviour);
  });
  afterAll(() => faulty.close());

  const options = () => ({ publicUrl: faulty.url, timeout: 150 });

  it.each(FRAMEWORKS)(`requireSession passes ${code} (${status}) to next(err) on %s, never a redirect`, async (framework) => {
    for (const headers of [BROWSER, API]) {
      const res = await request(appWith(framework, [requireSession(options())])).get('/dashboard').set(headers);
      expect(res.status).toBe(status);
      expect(res.headers['x-error-handler']).toBe('app');
      expect(res.headers.location).toBeUndefined();
      expect(res.body.code).toBe(code);
      expect(res.headers['retry-after']).toBe(retryAfter);
    }
  });

  it.each(FRAMEWORKS)(`optionalSession passes ${code} to next(err) on %s`, async (framework) => {
    const res = await request(appWith(framework, [optionalSession(options())])).get('/').set(BROWSER);
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
  });

  it("optionalSession goes on without a session with onError: 'continue'", async () => {
    const res = await request(appWith('Express 5', [optionalSession({ ...options(), onError: 'continue' })])).get('/').set(BROWSER);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ session: null, property: null, locals: null });
  });
});

describe('with faults injected into the emulator', () => {
  let kratos: TestEmulator;
  let cookie: string;
  beforeAll(async () => {
    kratos = await startEmulator();
    const identity = await kratos.createIdentity({ traits: { email: 'fault@example.com' } });
    cookie = (await kratos.createSession(identity.id as string)).cookie;
  });
  afterAll(() => kratos.close());

  it.each([
    [{ status: 500 }, 'KRATOS_UNAVAILABLE', 503],
    [{ status: 502 }, 'KRATOS_UNAVAILABLE', 503],
    [{ status: 429 }, 'KRATOS_UNAVAILABLE', 503],
    [{ destroy: true }, 'KRATOS_UNREACHABLE', 502],
    [{ delayMs: 400 }, 'KRATOS_TIMEOUT', 504],
  ])('turns %j on /sessions/whoami into %s', async (fault, code, status) => {
    kratos.fault({ route: '/sessions/whoami', times: 1, ...fault });
    const app = appWith('Express 5', [requireSession({ publicUrl: kratos.publicUrl, timeout: 200 })]);
    const res = await request(app).get('/x').set({ ...BROWSER, Cookie: cookie });
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    const after = await request(app).get('/x').set({ ...BROWSER, Cookie: cookie });
    expect(after.status).toBe(200);
  });
});
