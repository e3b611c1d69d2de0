import { Agent, request as httpRequest, type RequestListener } from 'node:http';
import { closeSharedContexts } from '../../lib/context';
import { findCredential } from '../../lib/kratos/credentials';
import { requireSession } from '../../lib/session/factories';
import { appWith, FRAMEWORKS } from '../helpers/apps';
import { startEmulator, type TestEmulator } from '../helpers/emulator';
import { listen } from '../proxy/helpers';

// A keep-alive connection remembers what its last Cookie header gave (lib/kratos/credentials.ts). These
// tests send the requests of several users, malformed ones and other cookie names over one connection, as a
// proxy sharing its upstream connections does, and check that each request gets its own answer.

interface Served {
  /** Sends one request over the single keep-alive connection; resolves with status and JSON body. */
  send(headers: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }>;
  /** How many connections the server accepted. */
  connections(): number;
  close(): Promise<void>;
}

async function serveOverOneConnection(listener: RequestListener): Promise<Served> {
  const served = await listen(listener);
  let connections = 0;
  served.server.on('connection', () => connections++);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const send = (headers: Record<string, string>) =>
    new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const req = httpRequest(`${served.url}/me`, { agent, headers: { accept: 'application/json', ...headers } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
      });
      req.on('error', reject);
      req.end();
    });
  return {
    send,
    connections: () => connections,
    close: async () => {
      agent.destroy();
      await served.close();
    },
  };
}

let kratos: TestEmulator;
let alice: { cookie: string; sessionId: string };
let bob: { cookie: string; token: string; sessionId: string };

beforeAll(async () => {
  kratos = await startEmulator();
  const a = await kratos.createIdentity({ traits: { email: 'alice-connection@example.com' } });
  const b = await kratos.createIdentity({ traits: { email: 'bob-connection@example.com' } });
  const sa = await kratos.createSession(a.id as string);
  const sb = await kratos.createSession(b.id as string);
  alice = { cookie: sa.cookie, sessionId: sa.session.id as string };
  bob = { cookie: sb.cookie, token: sb.token, sessionId: sb.session.id as string };
});
afterAll(async () => {
  await closeSharedContexts();
  await kratos.close();
});

describe.each(FRAMEWORKS)('one keep-alive connection carrying several users on %s', (framework) => {
  it.each([
    ['without cache', false],
    ['with the cache', true],
  ])('answers each request for its own credential, %s', async (_name, cached) => {
    const options = { publicUrl: kratos.publicUrl, ...(cached ? { cache: { ttl: '1m' } } : {}) };
    const served = await serveOverOneConnection(appWith(framework, [requireSession(options)]));
    try {
      const steps: [headers: Record<string, string>, status: number, session: string | null][] = [
        [{ cookie: alice.cookie }, 200, alice.sessionId],
        [{ cookie: bob.cookie }, 200, bob.sessionId],
        [{ cookie: alice.cookie }, 200, alice.sessionId],
        [{ cookie: alice.cookie }, 200, alice.sessionId],
        [{ cookie: 'ory_kratos_session=a\\b' }, 400, null],
        [{ cookie: alice.cookie }, 200, alice.sessionId],
        // a Cookie header without the session cookie: the bearer token is the credential
        [{ cookie: 'theme=dark', authorization: `Bearer ${bob.token}` }, 200, bob.sessionId],
        [{ cookie: 'theme=dark', authorization: `Bearer ${bob.token}` }, 200, bob.sessionId],
        [{ cookie: 'theme=dark' }, 401, null],
        [{ cookie: `theme=dark; ${alice.cookie}` }, 200, alice.sessionId],
        [{ cookie: `theme=dark; ${bob.cookie}` }, 200, bob.sessionId],
        [{}, 401, null],
        [{ cookie: bob.cookie }, 200, bob.sessionId],
      ];
      for (const [headers, status, session] of steps) {
        const res = await served.send(headers);
        expect({ headers, status: res.status, session: res.body.session ?? null }).toEqual({ headers, status, session });
      }
      expect(served.connections()).toBe(1);
    } finally {
      await served.close();
    }
  });
});

describe('findCredential on one keep-alive connection', () => {
  it('finds the cookie of the name asked for, when the same header is read for another name', async () => {
    // the cookie name comes from a test header, as two contexts with different cookie names would ask
    const served = await serveOverOneConnection((req, res) => {
      const found = findCredential(req, String(req.headers['x-name']));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ value: found?.value ?? null, key: found?.key ?? null }));
    });
    try {
      const header = { cookie: 'first=one; second=two' };
      const a = await served.send({ ...header, 'x-name': 'first' });
      const b = await served.send({ ...header, 'x-name': 'second' });
      const again = await served.send({ ...header, 'x-name': 'first' });
      const none = await served.send({ ...header, 'x-name': 'third' });
      expect([a.body.value, b.body.value, again.body.value, none.body.value]).toEqual(['one', 'two', 'one', null]);
      expect(again.body.key).toBe(a.body.key);
      expect(b.body.key).not.toBe(a.body.key);
      expect(served.connections()).toBe(1);
    } finally {
      await served.close();
    }
  });
});
