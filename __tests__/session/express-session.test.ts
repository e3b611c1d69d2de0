import express from 'express';
import expressSession from 'express-session';
import request from 'supertest';
import { getSession } from '../../lib/session/attach';
import { optionalSession, requireSession } from '../../lib/session/factories';
import { express4 } from '../helpers/apps';
import { signedInEmulator } from '../helpers/emulator';

const signedIn = signedInEmulator('both@example.com');

describe.each([
  ['Express 5', () => express()],
  ['Express 4', () => express4()],
])('next to express-session on %s', (_name, makeApp) => {
  const withStore = () => {
    const app = makeApp();
    app.use(expressSession({ secret: 'test-secret', resave: false, saveUninitialized: false }));
    return app;
  };

  it('fails clearly instead of overwriting req.session when sessionProperty is not configured', async () => {
    const app = withStore();
    app.use(optionalSession({ publicUrl: signedIn.kratos.publicUrl }));
    app.get('/', (_req, res) => void res.send('should not get here'));
    app.use((err: { code?: string; status?: number; message: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) =>
      void res.status(err.status ?? 500).json({ code: err.code, message: err.message }),
    );
    const res = await request(app).get('/').set('Cookie', signedIn.cookie);
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('KRATOS_SESSION_PROPERTY_CONFLICT');
    expect(res.body.message).toMatch(/^req\.session is already set by another middleware \(express-session\?\)\. Pass sessionProperty: 'kratosSession'/);
  });

  it("keeps both sessions apart with sessionProperty: 'kratosSession'", async () => {
    const app = withStore();
    app.use(requireSession({ publicUrl: signedIn.kratos.publicUrl, sessionProperty: 'kratosSession' }));
    app.get('/', (req, res) => {
      const store = req.session as expressSession.Session & { views?: number };
      store.views = (store.views ?? 0) + 1;
      const kratosSession = (req as unknown as { kratosSession?: { id: string } }).kratosSession;
      res.json({ views: store.views, kratos: kratosSession?.id, viaGetter: getSession(req)?.id, locals: res.locals.session?.id });
    });
    const agent = request.agent(app);
    const first = await agent.get('/').set('Cookie', signedIn.cookie);
    expect(first.body).toEqual({ views: 1, kratos: signedIn.sessionId, viaGetter: signedIn.sessionId, locals: signedIn.sessionId });
    const storeCookie = (first.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    const second = await agent.get('/').set('Cookie', `${signedIn.cookie}; ${storeCookie}`);
    expect(second.body.views).toBe(2);
    expect(second.body.kratos).toBe(signedIn.sessionId);
  });

  it('lets the kit mount twice on the same request without a false conflict', async () => {
    const app = makeApp();
    app.use(optionalSession({ publicUrl: signedIn.kratos.publicUrl }));
    app.get('/', requireSession({ publicUrl: signedIn.kratos.publicUrl }), (req, res) => void res.json({ id: getSession(req)?.id }));
    const res = await request(app).get('/').set('Cookie', signedIn.cookie);
    expect(res.body.id).toBe(signedIn.sessionId);
  });
});
