import { createServer, type IncomingMessage } from 'node:http';
import request from 'supertest';
import { closeSharedContexts, contextFor, createContext } from '../../lib/context';
import { KratosClient } from '../../lib/kratos/client';
import { resolveConfig } from '../../lib/kratos/config';
import { getCredentials } from '../../lib/kratos/credentials';
import { SessionCore, type SessionCheckResult } from '../../lib/session/core';
import { createKratos } from '../../lib/create-kratos';
import { requireSession } from '../../lib/session/factories';
import { appWith } from '../helpers/apps';
import { startEmulator, type TestEmulator } from '../helpers/emulator';

let kratos: TestEmulator;
let session: { cookie: string; token: string; id: string; expiresAt: number };

beforeAll(async () => {
  kratos = await startEmulator();
  const identity = await kratos.createIdentity({ traits: { email: 'core@example.com' } });
  const created = await kratos.createSession(identity.id as string);
  session = { cookie: created.cookie, token: created.token, id: created.session.id as string, expiresAt: Date.parse(created.session.expires_at as string) };
});
afterAll(async () => {
  await closeSharedContexts();
  await kratos.close();
});
beforeEach(() => kratos.resetStats());

const whoamiCalls = () => kratos.stats()['/sessions/whoami'] ?? 0;

/** A request object as Node builds it, captured from a real loopback request. */
async function captureRequest(headers: Record<string, string>): Promise<IncomingMessage> {
  let captured: IncomingMessage | undefined;
  const server = createServer((req, res) => {
    captured = req;
    res.end();
  });
  await request(server).get('/').set(headers);
  return captured!;
}

describe('SessionCore', () => {
  const makeCore = (cache: { ttl: number; max?: number } | false, now: () => number = Date.now) => {
    const config = resolveConfig({ publicUrl: kratos.publicUrl, cache }, {});
    const client = new KratosClient(config);
    return { core: new SessionCore(config, client, now), client, config };
  };

  it('returns the SDK Session with Date fields, as FrontendApi.toSession() does', async () => {
    const { core, client } = makeCore(false);
    const result = await core.checkCredentials({ cookie: session.cookie, key: 'k' });
    await client.close();
    expect(result.state).toBe('active');
    const active = result as Extract<SessionCheckResult, { state: 'active' }>;
    expect(active.session.id).toBe(session.id);
    expect(active.session.expires_at).toBeInstanceOf(Date);
    expect(active.session.authenticated_at).toBeInstanceOf(Date);
    expect(active.session.identity?.traits).toEqual({ email: 'core@example.com' });
  });

  it('coalesces 50 concurrent checks of one credential into one whoami', async () => {
    const { core, client } = makeCore(false);
    const results = await Promise.all(Array.from({ length: 50 }, () => core.checkCredentials({ cookie: session.cookie, key: 'same' })));
    await client.close();
    expect(whoamiCalls()).toBe(1);
    expect(core.stats.coalesced).toBe(49);
    expect(new Set(results.map((r) => r.state))).toEqual(new Set(['active']));
  });

  it('does not coalesce different credentials', async () => {
    const { core, client } = makeCore(false);
    await Promise.all([core.checkCredentials({ cookie: session.cookie, key: 'a' }), core.checkCredentials({ sessionToken: session.token, key: 'b' })]);
    await client.close();
    expect(whoamiCalls()).toBe(2);
  });

  it('lookup(): the cached result at once on a hit, else the memoised check of the request; a malformed credential rejects', async () => {
    const { core, client } = makeCore({ ttl: 60_000 });
    const first = await captureRequest({ Cookie: session.cookie });
    const miss = core.lookup(first);
    expect(miss).toBeInstanceOf(Promise);
    expect(core.check(first)).toBe(miss);
    expect((await miss).state).toBe('active');
    const hit = core.lookup(await captureRequest({ Cookie: session.cookie }));
    expect(hit).not.toBeInstanceOf(Promise);
    expect(hit).toMatchObject({ state: 'active', session: { id: session.id } });
    const malformed = core.lookup(await captureRequest({ Cookie: 'ory_kratos_session=a\\b' }));
    await expect(malformed).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const { core: uncached, client: other } = makeCore(false);
    const noCache = uncached.lookup(await captureRequest({ Cookie: session.cookie }));
    expect(noCache).toBeInstanceOf(Promise);
    expect((await noCache).state).toBe('active');
    await Promise.all([client.close(), other.close()]);
    expect(whoamiCalls()).toBe(2);
  });

  it('probe(): the cached result on a hit, else the credentials, starting nothing; check(req, credentials) uses them', async () => {
    const { core, client } = makeCore({ ttl: 60_000 });
    const first = await captureRequest({ Cookie: session.cookie });
    const credentials = core.probe(first);
    expect(credentials).toEqual(getCredentials(first, 'ory_kratos_session'));
    expect(whoamiCalls()).toBe(0);
    // the credentials given are the ones checked: a request without a cookie, checked with the probed ones
    const bare = await captureRequest({});
    expect(await core.check(bare, credentials)).toMatchObject({ state: 'active', session: { id: session.id } });
    expect(core.probe(await captureRequest({ Cookie: session.cookie }))).toMatchObject({ state: 'active', session: { id: session.id } });
    const malformed = await captureRequest({ Cookie: 'ory_kratos_session=a\\b' });
    expect(() => core.probe(malformed)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    const { core: uncached, client: other } = makeCore(false);
    expect(uncached.probe(await captureRequest({ Cookie: session.cookie }))).toEqual(credentials);
    await Promise.all([client.close(), other.close()]);
    expect(whoamiCalls()).toBe(1);
  });

  it('schedules no timer on a cache hit', async () => {
    const { core, client } = makeCore({ ttl: 60_000 });
    const credentials = { cookie: session.cookie, key: 'no-timers' };
    expect((await core.checkCredentials(credentials)).state).toBe('active');
    const original = globalThis.setTimeout;
    const wait = (ms: number) => new Promise((resolve) => original(resolve, ms));
    let scheduled = 0;
    let counting = false;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      if (counting) scheduled++;
      return original(...args);
    }) as typeof setTimeout;
    try {
      for (let i = 0; i < 5; i++) {
        await wait(3);
        counting = true;
        const hit = core.checkCredentials(credentials);
        counting = false;
        expect((await hit).state).toBe('active');
      }
    } finally {
      globalThis.setTimeout = original;
      await client.close();
    }
    expect(core.stats.cacheHits).toBe(5);
    expect(scheduled).toBe(0);
  });

  it('serves a cached session until the TTL without asking Kratos', async () => {
    const { core, client } = makeCore({ ttl: 60_000 });
    for (let i = 0; i < 5; i++) expect((await core.checkCredentials({ cookie: session.cookie, key: 'cached' })).state).toBe('active');
    await client.close();
    expect(whoamiCalls()).toBe(1);
    expect(core.stats.cacheHits).toBe(4);
  });

  it('ends a cached session at the TTL on the clock the core is given', async () => {
    let now = Date.now();
    const { core, client } = makeCore({ ttl: 60_000 }, () => now);
    const credentials = { cookie: session.cookie, key: 'ttl' };
    await core.checkCredentials(credentials);
    now += 59_999;
    await core.checkCredentials(credentials);
    expect(whoamiCalls()).toBe(1);
    now += 2;
    await core.checkCredentials(credentials);
    await client.close();
    expect(whoamiCalls()).toBe(2);
  });

  it('ends a cached session at the TTL in real time', async () => {
    const { core, client } = makeCore({ ttl: 30 });
    const credentials = { cookie: session.cookie, key: 'ttl-real' };
    await core.checkCredentials(credentials);
    await core.checkCredentials(credentials);
    expect(whoamiCalls()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await core.checkCredentials(credentials);
    await client.close();
    expect(whoamiCalls()).toBe(2);
  });

  it("never serves a cached session past its expires_at", async () => {
    let now = Date.now();
    const { core, client } = makeCore({ ttl: 10 * 24 * 3600_000 }, () => now);
    await core.checkCredentials({ cookie: session.cookie, key: 'expiring' });
    now = session.expiresAt + 1;
    await core.checkCredentials({ cookie: session.cookie, key: 'expiring' });
    await client.close();
    expect(whoamiCalls()).toBe(2);
  });

  it('treats a 200 whose session has expired (expires_at in the past) as unauthenticated, and does not cache it', async () => {
    const { core, client } = makeCore({ ttl: 60_000 }, () => session.expiresAt + 1);
    const first = await core.checkCredentials({ cookie: session.cookie, key: 'expired' });
    const second = await core.checkCredentials({ cookie: session.cookie, key: 'expired' });
    await client.close();
    expect([first.state, second.state]).toEqual(['unauthenticated', 'unauthenticated']);
    expect(whoamiCalls()).toBe(2);
  });

  it('forgets a credential on invalidate(key) and a session on invalidateSession(id)', async () => {
    const { core, client } = makeCore({ ttl: 60_000 });
    await core.checkCredentials({ cookie: session.cookie, key: 'x' });
    core.invalidate('x');
    await core.checkCredentials({ cookie: session.cookie, key: 'x' });
    core.invalidateSession(session.id);
    await core.checkCredentials({ cookie: session.cookie, key: 'x' });
    await client.close();
    expect(whoamiCalls()).toBe(3);
  });

  it('does not cache a result that was invalidated while in flight', async () => {
    const { core, client } = makeCore({ ttl: 60_000 });
    const pending = core.checkCredentials({ cookie: session.cookie, key: 'racing' });
    core.invalidate('racing');
    await pending;
    await core.checkCredentials({ cookie: session.cookie, key: 'racing' });
    await client.close();
    expect(whoamiCalls()).toBe(2);
  });

  it('evicts beyond max entries', async () => {
    const { core, client } = makeCore({ ttl: 60_000, max: 1 });
    await core.checkCredentials({ cookie: session.cookie, key: 'one' });
    await core.checkCredentials({ sessionToken: session.token, key: 'two' });
    await core.checkCredentials({ cookie: session.cookie, key: 'one' });
    await client.close();
    expect(whoamiCalls()).toBe(3);
  });

  it('memoises the check on the request', async () => {
    const { core, client } = makeCore(false);
    const req = await captureRequest({ Cookie: session.cookie });
    const first = core.check(req);
    expect(core.check(req)).toBe(first);
    await first;
    await client.close();
    expect(whoamiCalls()).toBe(1);
  });

  it('keys the cache on the credential hash only', async () => {
    const req = await captureRequest({ Cookie: `a=1; ${session.cookie}` });
    const { key } = getCredentials(req, 'ory_kratos_session');
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toContain(session.cookie.split('=')[1]);
  });
});

describe('through the middleware', () => {
  it('answers 50 concurrent requests with one cookie with one whoami while Kratos is slow', async () => {
    kratos.fault({ route: '/sessions/whoami', delayMs: 1000, times: 1 });
    const app = appWith('Express 5', [requireSession({ publicUrl: kratos.publicUrl, connections: 8 })]);
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const responses = await Promise.all(
        Array.from({ length: 50 }, () => fetch(`http://127.0.0.1:${port}/x`, { headers: { cookie: session.cookie, accept: 'application/json' } })),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(whoamiCalls()).toBe(1);
  });

  it('serves a revoked session from the cache until the TTL (the documented revocation lag), and not after invalidate', async () => {
    const identity = await kratos.createIdentity({ traits: { email: 'lag@example.com' } });
    const created = await kratos.createSession(identity.id as string);
    const kit = createKratos({ publicUrl: kratos.publicUrl, cache: { ttl: '1h' } }, {});
    const app = appWith('Express 5', [kit.requireSession()]);
    const ask = () => request(app).get('/x').set({ Accept: 'application/json', Cookie: created.cookie });
    expect((await ask()).status).toBe(200);
    kratos.revokeSession(created.session.id as string);
    expect((await ask()).status).toBe(200);
    kit.context.sessions.invalidateSession(created.session.id as string);
    expect((await ask()).status).toBe(401);
    await kit.close();
  });
});

describe('contexts', () => {
  it('shares one context between factories with equal Kratos options', () => {
    const a = contextFor({ publicUrl: kratos.publicUrl, timeout: '5s' }, {});
    const b = contextFor({ publicUrl: `${kratos.publicUrl}/`, timeout: 5000 }, {});
    const c = contextFor({ publicUrl: kratos.publicUrl, timeout: 1000 }, {});
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('gives createContext a context of its own', async () => {
    const own = createContext({ publicUrl: kratos.publicUrl }, {});
    expect(own).not.toBe(contextFor({ publicUrl: kratos.publicUrl }, {}));
    await own.close();
  });
});
