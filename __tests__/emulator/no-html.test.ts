import { type KratosEmulator, type ResponseEvent } from '../../lib/emulator';
import { startEmulator } from '../helpers/emulator';
import { Browser } from './flow-helpers';
import { BROWSER, call } from './jar';

describe('the emulator never renders HTML', () => {
  let kratos: KratosEmulator;
  const events: ResponseEvent[] = [];
  beforeAll(async () => {
    kratos = await startEmulator({ onResponse: (e) => events.push(e) });
    await kratos.createIdentity({ traits: { email: 'html@example.com' }, password: 'correct-horse-battery-staple' });
  });
  afterAll(() => kratos.close());

  it('answers every browser navigation with a redirect or JSON', async () => {
    const b = new Browser(kratos);
    const paths = [
      '/self-service/login/browser',
      '/self-service/registration/browser',
      '/self-service/recovery/browser',
      '/self-service/verification/browser',
      '/self-service/settings/browser',
      '/self-service/login/browser?aal=aal2',
      '/self-service/login/browser?return_to=https://evil.test/',
      '/self-service/login?flow=00000000-0000-4000-8000-000000000000',
      '/self-service/registration?flow=not-a-uuid',
      '/self-service/logout?token=x',
      '/self-service/logout/browser',
      '/self-service/errors?id=stub:500',
      '/self-service/login/flows?id=nope',
      '/sessions/whoami',
    ];
    for (const path of paths) {
      const res = await b.get(path, BROWSER);
      const type = res.headers.get('content-type') ?? '';
      expect([path, type.startsWith('text/html')]).toEqual([path, false]);
      if (res.status >= 300 && res.status < 400) expect(res.text).toBe('');
    }
    await new Browser(kratos).login('html@example.com', 'wrong-password-here');
    await b.login('html@example.com', 'correct-horse-battery-staple');
    const flow = await b.startFlow('settings');
    await call(flow.ui.action, { jar: b.jar, headers: BROWSER, form: { method: 'profile' } });
    expect(events.length).toBeGreaterThan(paths.length);
    expect(events.filter((e) => e.contentType?.startsWith('text/html'))).toEqual([]);
  });
});
