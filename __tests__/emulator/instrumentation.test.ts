import { type KratosEmulator, type ResponseEvent } from '../../lib/emulator';
import { startEmulator } from '../helpers/emulator';
import { call } from './jar';

describe('stats, faults and onResponse', () => {
  let kratos: KratosEmulator;
  const events: ResponseEvent[] = [];
  beforeAll(async () => {
    kratos = await startEmulator({ onResponse: (e) => events.push(e) });
  });
  afterAll(() => kratos.close());

  it('counts requests per OpenAPI route and resets the counters', async () => {
    kratos.resetStats();
    await call(`${kratos.publicUrl}/sessions/whoami`);
    await call(`${kratos.publicUrl}/sessions/whoami`);
    await call(`${kratos.adminUrl}/admin/identities/abc`);
    expect(kratos.stats()).toEqual({ '/sessions/whoami': 2, '/admin/identities/{id}': 1 });
    kratos.resetStats();
    expect(kratos.stats()).toEqual({});
  });

  it('reports every response with its server, route, status and JSON body', async () => {
    events.length = 0;
    await call(`${kratos.publicUrl}/sessions/whoami`);
    await call(`${kratos.adminUrl}/health/alive`);
    expect(events).toEqual([
      expect.objectContaining({ server: 'public', method: 'GET', path: '/sessions/whoami', route: '/sessions/whoami', status: 401, contentType: 'application/json' }),
      expect.objectContaining({ server: 'admin', route: '/health/alive', status: 200, body: { status: 'ok' } }),
    ]);
    expect((events[0].body as { error: { code: number } }).error.code).toBe(401);
  });

  it('injects a status fault a limited number of times', async () => {
    kratos.fault({ route: '/sessions/whoami', status: 503, body: '{"error":"down"}', times: 2 });
    const a = await call(`${kratos.publicUrl}/sessions/whoami`);
    const b = await call(`${kratos.publicUrl}/sessions/whoami`);
    const c = await call(`${kratos.publicUrl}/sessions/whoami`);
    expect([a.status, b.status, c.status]).toEqual([503, 503, 401]);
    expect(a.body).toEqual({ error: 'down' });
  });

  it('resets the socket for a destroy fault until removed', async () => {
    const remove = kratos.fault({ route: '/sessions/whoami', destroy: true });
    await expect(fetch(`${kratos.publicUrl}/sessions/whoami`)).rejects.toThrow();
    remove();
    expect((await call(`${kratos.publicUrl}/sessions/whoami`)).status).toBe(401);
  });

  it('delays a response and then answers normally', async () => {
    kratos.fault({ route: '/health/alive', delayMs: 50, times: 1 });
    expect((await call(`${kratos.publicUrl}/health/alive`)).status).toBe(200);
  });

  it('rejects a malformed fault spec', () => {
    expect(() => kratos.fault({ status: 42 })).toThrow(/status 42/);
    expect(() => kratos.fault({ times: 0 })).toThrow(/times 0/);
  });

  it('closes with keep-alive connections open', async () => {
    const other = await startEmulator();
    await fetch(`${other.publicUrl}/health/alive`);
    await other.close();
    await expect(fetch(`${other.publicUrl}/health/alive`)).rejects.toThrow();
  });
});
