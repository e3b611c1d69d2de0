import request from 'supertest';
import { createKratos } from '../../lib';
import { startEmulator, type TestEmulator } from '../helpers/emulator';
import { startUpstream, type Upstream } from '../helpers/upstream';
import { echoed, listen, signedIn } from './helpers';

let kratos: TestEmulator;
let upstream: Upstream;

beforeAll(async () => {
  kratos = await startEmulator();
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream.close();
  await kratos.close();
});

describe('createKratos: proxy members', () => {
  it('builds the gate, forward-auth and the Kratos proxy on the kit context (one pool, one session core)', async () => {
    const kit = createKratos({ publicUrl: kratos.publicUrl, browserUrl: '/.ory' });
    const user = await signedIn(kratos, 'kit@example.com');
    const gate = await listen(kit.authGate({ upstream: upstream.url }));
    try {
      const before = kit.context.sessions.stats.whoamiCalls;
      const res = await request(gate.server).get('/x').set('Cookie', user.cookie).expect(200);
      expect(echoed(res.body).headers['x-user-id']).toBe(user.id);
      await request(kit.forwardAuth()).get('/y').set('Cookie', user.cookie).expect(200);
      expect(kit.context.sessions.stats.whoamiCalls - before).toBe(2);
      const proxied = await request(kit.kratosProxy()).get('/.ory/sessions/whoami').set('Cookie', user.cookie).expect(200);
      expect(proxied.body.identity.id).toBe(user.id);
    } finally {
      await gate.close();
      await kit.close();
    }
  });

  it('refuses Kratos options on the members: they belong to createKratos', () => {
    const kit = createKratos({ publicUrl: kratos.publicUrl });
    expect(() => kit.authGate({ upstream: upstream.url, publicUrl: 'http://x' } as never)).toThrow(/publicUrl: is set by the kit's shared configuration/);
    void kit.close();
  });
});
