import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import expressSession from 'express-session';
import request from 'supertest';
import { getSession } from '../../lib/session/attach';
import { optionalSession, requireSession } from '../../lib/session/factories';
import { appWith, express4, reportError } from '../helpers/apps';
import { signedInEmulator } from '../helpers/emulator';

// How the session becomes req.session: served from Express' request prototype on Express requests (no own
// property, no hidden class of its own for the request), an own property elsewhere, and in every case the
// same value for every reader.

const signedIn = signedInEmulator('property@example.com');

type Req = IncomingMessage & Record<string, unknown>;
const idOf = (value: unknown) => (value as { id?: string } | undefined)?.id ?? null;
/** Where the session of `property` is and what each reader sees, as the route answers it. */
const describeProperty = (req: Req, property = 'session') => ({
  value: idOf(req[property]),
  own: Object.hasOwn(req, property),
  inherited: property in req,
  getSession: idOf(getSession(req)),
});
const onError = (err: unknown, req: IncomingMessage, res: ServerResponse, _next: unknown) => reportError(err, req, res);
/** GET `path` of `app` with the signed-in session cookie, asking for JSON. */
const getSignedIn = (app: Parameters<typeof request>[0], path = '/') => request(app).get(path).set('Cookie', signedIn.cookie).set('Accept', 'application/json');

describe.each([
  ['Express 5', () => express(), express.request],
  ['Express 4', () => express4(), express4.request],
])('on %s', (_name, makeApp, expressRequest) => {
  describe.each([
    ['no cache', {}],
    ['cache on', { cache: { ttl: '1m' } }],
  ])('%s', (_cacheName, cacheOptions) => {
    const options = () => ({ publicUrl: signedIn.kratos.publicUrl, ...cacheOptions });

    it.each([
      ['requireSession()', () => requireSession(options())],
      ['optionalSession()', () => optionalSession(options())],
    ])('%s: req.session is the session without an own property on the request', async (_mw, make) => {
      const app = makeApp();
      app.use(make());
      app.get('/', (req, res) => void res.json(describeProperty(req as unknown as Req)));
      // twice: the second request of a cached context is a cache hit
      for (let i = 0; i < 2; i++) {
        const res = await getSignedIn(app);
        expect(res.body).toEqual({ value: signedIn.sessionId, own: false, inherited: true, getSession: signedIn.sessionId });
      }
    });

    it('reaches the routes of a mounted sub-app, and the parent after it', async () => {
      const parent = makeApp();
      const sub = makeApp();
      sub.get('/in', (req, res) => void res.json(describeProperty(req as unknown as Req)));
      sub.get('/through', (_req, _res, next) => next());
      parent.use(requireSession(options()));
      parent.use('/sub', sub);
      parent.get('/sub/through', (req, res) => void res.json(describeProperty(req as unknown as Req)));
      const inSub = await getSignedIn(parent, '/sub/in');
      expect(inSub.body).toMatchObject({ value: signedIn.sessionId, own: false });
      const after = await getSignedIn(parent, '/sub/through');
      expect(after.body).toMatchObject({ value: signedIn.sessionId, own: false });
    });

    it('lets a later middleware assign the property, and a kit middleware after that refuses to overwrite it', async () => {
      const app = makeApp();
      app.use(optionalSession(options()));
      app.use((req, _res, next) => {
        (req as unknown as Req).session = { id: 'assigned' };
        next();
      });
      app.get('/assigned', (req, res) => void res.json(describeProperty(req as unknown as Req)));
      app.get('/again', requireSession(options()), (_req, res) => void res.send('should not get here'));
      app.use(onError);
      const assigned = await getSignedIn(app, '/assigned');
      expect(assigned.body).toEqual({ value: 'assigned', own: true, inherited: true, getSession: signedIn.sessionId });
      const again = await getSignedIn(app, '/again');
      expect(again.status).toBe(500);
      expect(again.body.code).toBe('KRATOS_SESSION_PROPERTY_CONFLICT');
    });

    it('keeps two properties of two contexts on one request apart from each other', async () => {
      const app = makeApp();
      app.use(optionalSession({ ...options(), sessionProperty: 'kratosSession' }));
      app.use(requireSession(options()));
      app.get('/', (req, res) =>
        void res.json({ session: describeProperty(req as unknown as Req), kratosSession: describeProperty(req as unknown as Req, 'kratosSession') }),
      );
      const res = await getSignedIn(app);
      expect(res.body.kratosSession).toMatchObject({ value: signedIn.sessionId });
      expect(res.body.session).toMatchObject({ value: signedIn.sessionId });
    });

    it('leaves req.session undefined on requests without a session and on apps without the kit', async () => {
      const withKit = makeApp();
      withKit.use(optionalSession(options()));
      withKit.get('/', (req, res) => void res.json(describeProperty(req as unknown as Req)));
      const anonymous = await request(withKit).get('/').set('Accept', 'application/json');
      expect(anonymous.body).toMatchObject({ value: null, getSession: null });
      // another app of the same Express, after the kit has served a session in this process
      await request(withKit).get('/').set('Cookie', signedIn.cookie).expect(200);
      const other = makeApp();
      other.get('/', (req, res) => void res.json({ value: (req as unknown as Req).session ?? null }));
      expect((await request(other).get('/').set('Cookie', signedIn.cookie)).body).toEqual({ value: null });
    });

    it("uses an own property when the app's own request prototype has that name", async () => {
      const app = makeApp();
      // an app-level definition hides whatever Express' shared request prototype has under that name
      Object.defineProperty(app.request, 'session', { configurable: true, writable: true, value: undefined });
      app.use(requireSession(options()));
      app.get('/', (req, res) => void res.json(describeProperty(req as unknown as Req)));
      for (let i = 0; i < 2; i++) {
        const res = await getSignedIn(app);
        expect(res.body).toEqual({ value: signedIn.sessionId, own: true, inherited: true, getSession: signedIn.sessionId });
      }
    });

    it('refuses a property another middleware owns before anything else: no whoami, and before a malformed cookie', async () => {
      const app = makeApp();
      app.use((req, _res, next) => {
        (req as unknown as Req).session = { cart: [] };
        next();
      });
      app.use(requireSession(options()));
      app.get('/', (_req, res) => void res.send('should not get here'));
      app.use(onError);
      const whoami = () => signedIn.kratos.stats()['/sessions/whoami'] ?? 0;
      // a cookie the cache may hold (cached by the other tests of this context), an unknown one, a malformed one
      for (const cookie of [signedIn.cookie, 'ory_kratos_session=unknown-to-kratos', 'ory_kratos_session=bad value"']) {
        const before = whoami();
        const res = await request(app).get('/').set('Cookie', cookie).set('Accept', 'application/json');
        expect(res.status).toBe(500);
        expect(res.body.code).toBe('KRATOS_SESSION_PROPERTY_CONFLICT');
        expect(whoami()).toBe(before);
      }
    });

    it('leaves express-session working in another app of the same Express', async () => {
      const withKit = makeApp();
      withKit.use(requireSession(options()));
      withKit.get('/', (req, res) => void res.json(describeProperty(req as unknown as Req)));
      expect((await getSignedIn(withKit)).body).toMatchObject({ value: signedIn.sessionId });

      const store = makeApp();
      store.use(expressSession({ secret: 'test-secret', resave: false, saveUninitialized: false }));
      store.get('/', (req, res) => {
        const session = req.session as expressSession.Session & { views?: number };
        session.views = (session.views ?? 0) + 1;
        res.json({ views: session.views });
      });
      store.get('/logout', (req, res) => req.session.destroy(() => void res.json({ after: (req as unknown as Req).session ?? null })));
      const agent = request.agent(store);
      expect((await agent.get('/')).body).toEqual({ views: 1 });
      expect((await agent.get('/')).body).toEqual({ views: 2 });
      expect((await agent.get('/logout')).body).toEqual({ after: null });
    });
  });

  it('uses an own property when Express\' request prototype already has that name', async () => {
    Object.defineProperty(expressRequest, 'kratosTaken', { configurable: true, writable: true, value: undefined });
    try {
      const app = makeApp();
      app.use(requireSession({ publicUrl: signedIn.kratos.publicUrl, sessionProperty: 'kratosTaken' }));
      app.get('/', (req, res) => void res.json(describeProperty(req as unknown as Req, 'kratosTaken')));
      const res = await getSignedIn(app);
      expect(res.body).toEqual({ value: signedIn.sessionId, own: true, inherited: true, getSession: signedIn.sessionId });
      expect(Object.getOwnPropertyDescriptor(expressRequest, 'kratosTaken')).toEqual({ configurable: true, writable: true, enumerable: false, value: undefined });
    } finally {
      delete (expressRequest as unknown as Record<string, unknown>).kratosTaken;
    }
  });
});

it("uses an own property when Express' request prototype cannot take the accessor (frozen)", async () => {
  let frozenExpress: typeof express | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    frozenExpress = require('express') as typeof express;
  });
  Object.freeze(frozenExpress!.request);
  const app = frozenExpress!();
  app.use(requireSession({ publicUrl: signedIn.kratos.publicUrl, cache: { ttl: '1m' } }));
  app.get('/', (req, res) => void res.json(describeProperty(req as unknown as Req)));
  for (let i = 0; i < 2; i++) {
    const res = await getSignedIn(app);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ value: signedIn.sessionId, own: true, inherited: true, getSession: signedIn.sessionId });
  }
});

describe.each(['Connect', 'plain http'] as const)('on %s', (framework) => {
  it('attaches the session as an own property, as before', async () => {
    const seenOwn: boolean[] = [];
    const app = appWith(framework, [
      requireSession({ publicUrl: signedIn.kratos.publicUrl, cache: { ttl: '1m' } }),
      (req, _res, next) => {
        seenOwn.push(Object.hasOwn(req, 'session'));
        next();
      },
    ]);
    const res = await getSignedIn(app);
    expect(res.body.property).toBe(signedIn.sessionId);
    expect(seenOwn).toEqual([true]);
  });
});
