import request from 'supertest';
import { closeSharedContexts } from '../../lib/context';
import { flowRoutes } from '../../lib/flows';
import { clientScript } from '../../lib/render';
import { startEmulator, type TestEmulator } from '../helpers/emulator';
import { appWith, type Framework } from './helpers';

let kratos: TestEmulator;
beforeAll(async () => {
  kratos = await startEmulator();
});
afterAll(async () => {
  await closeSharedContexts();
  await kratos.close();
});

const FRAMEWORKS: Framework[] = ['Express 5', 'Express 4', 'Connect', 'plain http'];
const HTML = 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8';

function location(res: request.Response): URL {
  expect(res.status).toBe(303);
  return new URL(res.headers.location);
}

describe.each(FRAMEWORKS)('flow routes on %s', (framework) => {
  const app = () => appWith(framework, flowRoutes({ publicUrl: kratos.publicUrl }));

  it.each(['login', 'registration', 'settings', 'recovery', 'verification'].filter((f) => f !== 'settings'))(
    'redirects /%s without ?flow= to Kratos to start the flow',
    async (flow) => {
      const res = await request(app()).get(`/${flow}`).set('Accept', HTML);
      expect(location(res).href).toBe(`${kratos.publicUrl}/self-service/${flow}/browser`);
      expect(res.headers['cache-control']).toBe('private, no-store');
    },
  );

  it('calls next() for paths and methods it does not own', async () => {
    const other = await request(app()).get('/dashboard');
    expect(other.status).toBe(404);
    expect(other.headers['x-fallthrough']).toBe('app');
    const post = await request(app()).post('/login');
    expect(post.headers['x-fallthrough']).toBe('app');
    const trailing = await request(app()).get('/loginx');
    expect(trailing.headers['x-fallthrough']).toBe('app');
  });

  it('serves the client script with a long cache header and answers If-None-Match with 304', async () => {
    const res = await request(app()).get('/kratos-express.js');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.text).toBe(clientScript);
    const again = await request(app()).get('/kratos-express.js').set('If-None-Match', res.headers.etag);
    expect(again.status).toBe(304);
  });
});

describe.each(FRAMEWORKS.filter((f) => f !== 'plain http'))('flow routes mounted under /auth on %s', (framework) => {
  const app = () => appWith(framework, flowRoutes({ publicUrl: kratos.publicUrl }), '/auth');

  it('serves the pages under the mount path and leaves the root paths alone', async () => {
    const res = await request(app()).get('/auth/login?return_to=/dashboard');
    expect(location(res).searchParams.get('return_to')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/dashboard$/);
    expect((await request(app()).get('/login')).headers['x-fallthrough']).toBe('app');
  });

  it('links the other pages with the mount path when a flow id is invalid', async () => {
    const res = await request(app()).get('/auth/login?flow=not-a-uuid');
    expect(res.status).toBe(400);
    expect(res.text).toContain('href="/auth/login"');
  });

  it('serves the client script under the mount path', async () => {
    expect((await request(app()).get('/auth/kratos-express.js')).status).toBe(200);
  });
});

describe('parameters passed to Kratos when a flow starts', () => {
  const app = () => appWith('Express 5', flowRoutes({ publicUrl: kratos.publicUrl, allowedReturnUrls: ['https://app.example.com', 'http://app.example.com'] }));

  it('passes every login parameter Kratos accepts, validated and encoded', async () => {
    const org = '5e2c0c6e-1111-4000-8000-000000000000';
    const res = await request(app())
      .get(`/login?return_to=${encodeURIComponent('https://app.example.com/a?b=c&d=e')}&refresh=true&aal=AAL2&login_challenge=abc123&organization=${org}&via=email&foo=bar`)
      .set('Host', 'app.example.com');
    const url = location(res);
    expect(url.pathname).toBe('/self-service/login/browser');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      return_to: 'https://app.example.com/a?b=c&d=e',
      refresh: 'true',
      aal: 'aal2',
      login_challenge: 'abc123',
      organization: org,
      via: 'email',
    });
  });

  it('passes after_verification_return_to for registration and only return_to for the other flows', async () => {
    const reg = location(
      await request(app()).get('/registration?after_verification_return_to=/welcome&aal=aal2&return_to=/x').set('Host', 'app.example.com'),
    );
    expect(Object.fromEntries(reg.searchParams)).toEqual({
      after_verification_return_to: 'http://app.example.com/welcome',
      return_to: 'http://app.example.com/x',
    });
    for (const flow of ['recovery', 'verification']) {
      const url = location(await request(app()).get(`/${flow}?return_to=/x&refresh=true&aal=aal2`).set('Host', 'app.example.com'));
      expect(Object.fromEntries(url.searchParams)).toEqual({ return_to: 'http://app.example.com/x' });
    }
  });

  it('treats empty parameters as absent, as the reference UI sends them', async () => {
    const url = location(await request(app()).get('/login?aal=&refresh=&return_to=&organization=&via='));
    expect(url.search).toBe('');
  });

  const hostile: [string, string, RegExp][] = [
    ['return_to=//evil.com', 'return_to', /return_to parameter "\/\/evil\.com" is not allowed/],
    ['return_to=https://evil.com/', 'return_to', /return_to parameter "https:\/\/evil\.com\/" is not allowed/],
    ['return_to=/\\evil.com', 'return_to', /return_to parameter/],
    ['return_to=javascript:alert(1)', 'return_to', /return_to parameter/],
    ['return_to=%2F%2Fevil.com', 'return_to', /return_to parameter/],
    ['return_to=/ok%0d%0aSet-Cookie:x=y', 'return_to', /return_to parameter/],
    ['aal=aal3', 'aal', /aal parameter "aal3" is not allowed: it must be aal1 or aal2/],
    ['refresh=yes', 'refresh', /refresh parameter "yes" is not allowed: it must be true or false/],
    ['organization=1%20OR%201=1', 'organization', /organization parameter "1 OR 1=1" is not allowed: it must be a UUID/],
    ['login_challenge=a%26return_to%3Dx', 'login_challenge', /login_challenge parameter/],
    ['via=email%26aal%3Daal1', 'via', /via parameter/],
    ['aal=aal1&aal=aal2', 'aal', /aal parameter is given 2 times/],
  ];
  it.each(hostile)('answers %s with a precise 400 page and never redirects', async (query, _name, message) => {
    const res = await request(app()).get(`/login?${query}`).set('Host', 'app.example.com').set('Accept', HTML);
    expect(res.status).toBe(400);
    expect(res.headers.location).toBeUndefined();
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text.replace(/&quot;/g, '"').replace(/&#39;/g, "'")).toMatch(message);
  });

  it('answers a malformed flow id with a 400 page without calling Kratos', async () => {
    kratos.resetStats();
    for (const id of ['x', '../../admin/identities', '00000000-0000-0000-0000-00000000000g', `${'a'.repeat(5000)}`]) {
      const res = await request(app()).get(`/login?flow=${encodeURIComponent(id)}`);
      expect(res.status).toBe(400);
      expect(res.text).toMatch(/is not a flow id/);
    }
    const twice = await request(app()).get('/login?flow=5e2c0c6e-1111-4000-8000-000000000000&flow=5e2c0c6e-1111-4000-8000-000000000001');
    expect(twice.status).toBe(400);
    expect(Object.keys(kratos.stats()).filter((route) => route.includes('flows'))).toEqual([]);
  });

  it('answers a malformed Host with a 400 page instead of building a URL from it', async () => {
    const res = await request(app()).get('/login?return_to=/x').set('Host', 'evil.com/x');
    expect(res.status).toBe(400);
  });
});
