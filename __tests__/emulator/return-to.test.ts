import { type KratosEmulator } from '../../lib/emulator';
import { startEmulator } from '../helpers/emulator';
import { call } from './jar';

describe('return_to allow-list (§6.8)', () => {
  let kratos: KratosEmulator;
  beforeAll(async () => {
    kratos = await startEmulator({
      overrides: { selfservice: { allowed_return_urls: ['http://127.0.0.1:4455', 'https://*.example.com/app', 'http://localhost:19006/Callback', '*', 'https://*.com'] } },
    });
  });
  afterAll(() => kratos.close());

  const table: [string, boolean][] = [
    ['http://127.0.0.1:4455/anything?x=1', true],
    ['http://127.0.0.1:4455', true],
    ['/relative/path', true],
    ['https://app.example.com/app/page', true],
    ['https://deep.app.example.com/app', true],
    ['https://example.com/app', false],
    ['https://app.example.com/other', false],
    ['http://app.example.com/app', false],
    ['http://localhost:19006/Callback/done', true],
    ['http://localhost:19006/other', false],
    ['http://127.0.0.1:4456/', false],
    ['https://evil.test/', false],
    ['https://evil.com/', false],
    ['//evil.test/path', false],
    ['javascript:alert(1)', false],
  ];

  it.each(table)('return_to=%s allowed=%s', async (returnTo, allowed) => {
    const res = await call(`${kratos.publicUrl}/self-service/login/browser?return_to=${encodeURIComponent(returnTo)}`, { headers: { accept: 'application/json' } });
    if (allowed) {
      expect(res.status).toBe(200);
      expect(res.body.return_to).toBe(new URL(returnTo, kratos.config.defaultBrowserReturnUrl).toString());
    } else {
      expect(res.status).toBe(400);
      expect(res.body.error.id).toBe('self_service_flow_return_to_forbidden');
      expect(res.body.error.reason).toMatch(/^Requested return_to URL ".*" is not allowed\.$/);
    }
  });

  it('allows {public}self-service URLs', async () => {
    const target = `${kratos.baseUrl}self-service/settings/browser`;
    const res = await call(`${kratos.publicUrl}/self-service/login/browser?return_to=${encodeURIComponent(target)}`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
  });

  it('sends a navigation with a forbidden return_to to the error UI and never redirects there', async () => {
    const res = await call(`${kratos.publicUrl}/self-service/registration/browser?return_to=${encodeURIComponent('https://evil.test/')}`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(303);
    expect(res.location).toMatch(new RegExp(`^${kratos.config.flows.error.uiUrl}\\?id=`));
  });
});
