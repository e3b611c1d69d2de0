import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import express from 'express';
import { express4 } from '../helpers/apps';
import request from 'supertest';
import { resolveConfig, type KratosOptions } from '../../lib/kratos/config';
import { checkedCredentials, findCredential } from '../../lib/kratos/credentials';
import { currentOrigin, currentUrl, getCredentials, isBrowserNavigation, loginUrl, safeReturnTo, toBrowserUrl } from '../../lib/kratos/request';

type Probe = (req: IncomingMessage) => unknown;

function answerWith(probe: Probe) {
  return (req: IncomingMessage, res: ServerResponse) => {
    let out: unknown;
    try {
      out = { value: probe(req) ?? null };
    } catch (err) {
      out = { error: (err as { code?: string }).code, status: (err as { status?: number }).status, message: (err as Error).message };
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(out));
  };
}

const plainApp = (probe: Probe) => createServer({ maxHeaderSize: 64 * 1024 }, answerWith(probe));
const express5App = (probe: Probe, trustProxy?: unknown) => {
  const app = express();
  if (trustProxy !== undefined) app.set('trust proxy', trustProxy);
  app.use(answerWith(probe));
  return app;
};
const express4App = (probe: Probe, trustProxy?: unknown) => {
  const app = express4();
  if (trustProxy !== undefined) app.set('trust proxy', trustProxy);
  app.use(answerWith(probe));
  return app;
};

const config = (options: Partial<KratosOptions> = {}) => resolveConfig({ publicUrl: 'http://127.0.0.1:4433', ...options }, {});

describe('getCredentials', () => {
  const probe: Probe = (req) => getCredentials(req, 'ory_kratos_session');

  it('finds the session cookie among other cookies and forwards only it', async () => {
    const { body } = await request(plainApp(probe)).get('/').set('Cookie', 'theme=dark; ory_kratos_session=MTY4abc-_=; csrf_token_x=y');
    expect(body.value.cookie).toBe('ory_kratos_session=MTY4abc-_=');
    expect(body.value.key).toMatch(/^[0-9a-f]{64}$/);
    expect(body.value.sessionToken).toBeUndefined();
  });

  it('keys only on the credential, not on the other cookies', async () => {
    const a = await request(plainApp(probe)).get('/').set('Cookie', 'ory_kratos_session=v; a=1');
    const b = await request(plainApp(probe)).get('/').set('Cookie', 'b=2; ory_kratos_session=v');
    expect(a.body.value.key).toBe(b.body.value.key);
  });

  it('prefers X-Session-Token, then the cookie, then Authorization: Bearer (Kratos\' order)', async () => {
    const app = plainApp(probe);
    const both = await request(app).get('/').set('X-Session-Token', 'ory_st_1').set('Cookie', 'ory_kratos_session=c').set('Authorization', 'Bearer ory_st_2');
    expect(both.body.value.sessionToken).toBe('ory_st_1');
    const cookieAndBearer = await request(app).get('/').set('Cookie', 'ory_kratos_session=c').set('Authorization', 'Bearer ory_st_2');
    expect(cookieAndBearer.body.value.cookie).toBe('ory_kratos_session=c');
    const bearer = await request(app).get('/').set('Authorization', 'bearer   ory_st_2');
    expect(bearer.body.value.sessionToken).toBe('ory_st_2');
  });

  it('keys a credential by the SHA-256 of its kind and value alone', async () => {
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    const app = plainApp(probe);
    const cookie = await request(app).get('/').set('Cookie', 'a=1; ory_kratos_session=MTY4abc-_=');
    const token = await request(app).get('/').set('X-Session-Token', 'MTY4abc-_=');
    expect(cookie.body.value.key).toBe(sha256('cookie\0MTY4abc-_='));
    expect(token.body.value.key).toBe(sha256('token\0MTY4abc-_='));
  });

  it('gives a token the same key whichever header carried it', async () => {
    const app = plainApp(probe);
    const a = await request(app).get('/').set('X-Session-Token', 'ory_st_1');
    const b = await request(app).get('/').set('Authorization', 'Bearer ory_st_1');
    expect(a.body.value.key).toBe(b.body.value.key);
  });

  it('finds no credential without one, with an empty cookie, or with another Authorization scheme', async () => {
    const app = plainApp(probe);
    expect((await request(app).get('/')).body.value).toEqual({});
    expect((await request(app).get('/').set('Cookie', 'ory_kratos_session=; other=1')).body.value).toEqual({});
    expect((await request(app).get('/').set('Authorization', 'Basic dXNlcjpwdw==')).body.value).toEqual({});
    expect((await request(app).get('/').set('Cookie', ';;;==; =; a')).body.value).toEqual({});
  });

  it.each([
    ['a session cookie with spaces', { Cookie: 'ory_kratos_session="a b"' }],
    ['a session cookie with a backslash', { Cookie: 'ory_kratos_session=a\\b' }],
    ['an oversized session cookie', { Cookie: `ory_kratos_session=${'a'.repeat(5000)}` }],
    ['an oversized Cookie header (server allowing big heads)', { Cookie: `x=${'a'.repeat(15000)}; y=${'b'.repeat(1500)}` }],
    ['an empty Bearer token', { Authorization: 'Bearer ' }],
    ['a Bearer token with a comma', { Authorization: 'Bearer a,b' }],
    ['two X-Session-Token values', { 'X-Session-Token': 'a, b' }],
  ])('answers 400 BAD_REQUEST for %s', async (_name, headers) => {
    const { body } = await request(plainApp(probe)).get('/').set(headers);
    expect(body).toMatchObject({ error: 'BAD_REQUEST', status: 400 });
  });
});

describe('findCredential and checkedCredentials', () => {
  const find: Probe = (req) => findCredential(req, 'ory_kratos_session') ?? 'none';
  const both: Probe = (req) => checkedCredentials(findCredential(req, 'ory_kratos_session'), 'ory_kratos_session');

  it('finds and keys a credential without checking its characters; checkedCredentials checks them', async () => {
    const app = plainApp(find);
    const found = await request(app).get('/').set('Cookie', 'ory_kratos_session=a\\b');
    expect(found.body.value).toEqual({ kind: 'cookie', value: 'a\\b', key: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const checked = await request(plainApp(both)).get('/').set('Cookie', 'ory_kratos_session=a\\b');
    expect(checked.body).toMatchObject({ error: 'BAD_REQUEST', status: 400, message: expect.stringContaining('ory_kratos_session cookie is malformed') });
    expect((await request(app).get('/')).body.value).toBe('none');
  });

  it('gives the key getCredentials gives, for each place a credential is found', async () => {
    for (const headers of [{ 'X-Session-Token': 'ory_st_1' }, { Cookie: 'a=1; ory_kratos_session=MTY4abc-_=' }, { Authorization: 'Bearer ory_st_2' }]) {
      const found = await request(plainApp(find)).get('/').set(headers);
      const credentials = await request(plainApp((req) => getCredentials(req, 'ory_kratos_session'))).get('/').set(headers);
      expect(found.body.value.key).toBe(credentials.body.value.key);
      expect((await request(plainApp(both)).get('/').set(headers)).body.value).toEqual(credentials.body.value);
    }
  });

  it.each([
    ['an oversized session cookie', { Cookie: `ory_kratos_session=${'a'.repeat(5000)}` }, 'cookie is malformed'],
    ['an oversized session token', { 'X-Session-Token': 'a'.repeat(5000) }, 'X-Session-Token header is malformed'],
    ['an oversized Cookie header', { Cookie: `x=${'a'.repeat(15000)}; y=${'b'.repeat(1500)}` }, 'Cookie header is longer'],
    ['an empty Bearer token', { Authorization: 'Bearer ' }, 'Authorization header is malformed'],
  ])('refuses %s already when finding it (400), before any hash', async (_name, headers, message) => {
    const { body } = await request(plainApp(find)).get('/').set(headers);
    expect(body).toMatchObject({ error: 'BAD_REQUEST', status: 400, message: expect.stringContaining(message) });
  });
});

describe('currentUrl', () => {
  const probe: Probe = (req) => currentUrl(req).href;

  it('uses Host and the path on plain http', async () => {
    const { body } = await request(plainApp(probe)).get('/a/b?c=1').set('Host', 'app.example.com:8080');
    expect(body.value).toBe('http://app.example.com:8080/a/b?c=1');
  });

  describe.each([
    ['Express 5', express5App],
    ['Express 4', express4App],
  ])('on %s', (_name, makeApp) => {
    it('ignores X-Forwarded-* without trust proxy', async () => {
      const { body } = await request(makeApp(probe)).get('/x').set('Host', 'app.test:3000').set('X-Forwarded-Host', 'evil.com').set('X-Forwarded-Proto', 'https');
      expect(body.value).toBe('http://app.test:3000/x');
    });

    it('honours X-Forwarded-Proto and X-Forwarded-Host with trust proxy, keeping the port', async () => {
      const { body } = await request(makeApp(probe, 'loopback')).get('/x?y=1').set('X-Forwarded-Host', 'app.example.com:8443, proxy.internal').set('X-Forwarded-Proto', 'https');
      expect(body.value).toBe('https://app.example.com:8443/x?y=1');
    });

    it('ignores X-Forwarded-* from an address that is not trusted', async () => {
      const { body } = await request(makeApp(probe, '10.0.0.1')).get('/x').set('Host', 'app.test').set('X-Forwarded-Host', 'evil.com').set('X-Forwarded-Proto', 'https');
      expect(body.value).toBe('http://app.test/x');
    });

    it('keeps the full original URL inside a mounted router', async () => {
      const framework = makeApp === express5App ? express : express4;
      const outer = framework();
      const sub = framework.Router();
      sub.get('/inner', answerWith(probe));
      outer.use('/mounted', sub);
      const { body } = await request(outer).get('/mounted/inner?q=1').set('Host', 'app.test');
      expect(body.value).toBe('http://app.test/mounted/inner?q=1');
    });
  });

  it.each(['evil.com/path', 'a b', 'user@evil.com', 'evil.com\\x', 'exa mple.com', ''])('answers 400 for the Host %j', async (host) => {
    const { body } = await request(plainApp(probe)).get('/').set('Host', host);
    expect(body).toMatchObject({ error: 'BAD_REQUEST', status: 400 });
  });
});

describe('currentOrigin', () => {
  const both: Probe = (req) => {
    const url = currentUrl(req);
    const origin = currentOrigin(req);
    return { url: { protocol: url.protocol, host: url.host }, origin: { protocol: origin.protocol, host: origin.host } };
  };

  it.each(['app.example.com', 'APP.Example.COM:8080', 'app.test:80', '127.0.0.1:3000', '[::1]:3000', '[0:0::1]', 'app.test.'])(
    'reads the same protocol and host as currentUrl for the Host %j, twice in a row',
    async (host) => {
      const app = plainApp(both);
      for (let i = 0; i < 2; i++) {
        const { body } = await request(app).get('/a?b=1').set('Host', host);
        expect(body.value.origin).toEqual(body.value.url);
      }
    },
  );

  it('honours trust proxy on Express like currentUrl', async () => {
    const { body } = await request(express5App(both, 'loopback')).get('/x').set('X-Forwarded-Host', 'App.Example.com:443').set('X-Forwarded-Proto', 'https');
    expect(body.value.origin).toEqual({ protocol: 'https:', host: 'app.example.com' });
  });

  it.each(['evil.com/path', 'a b', '999.999.999.999', 'app.test:99999', ''])('answers 400 for the Host %j, as currentUrl does', async (host) => {
    const { body } = await request(plainApp((req) => currentOrigin(req))).get('/').set('Host', host);
    const { body: expected } = await request(plainApp((req) => currentUrl(req))).get('/').set('Host', host);
    expect(body).toMatchObject({ error: 'BAD_REQUEST', status: 400 });
    expect(body).toEqual(expected);
  });
});

describe('isBrowserNavigation', () => {
  const probe: Probe = (req) => isBrowserNavigation(req);
  const cases: Array<[string, Record<string, string>, boolean]> = [
    ['a browser navigation', { Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' }, true],
    ['no Accept header (curl, like Kratos)', {}, true],
    ['Accept: */*', { Accept: '*/*' }, true],
    ['an SDK call', { Accept: 'application/json, text/plain, */*' }, false],
    ['Accept: application/json', { Accept: 'application/json' }, false],
    ['JSON preferred by q-value', { Accept: 'text/html;q=0.5, application/json' }, false],
    ['XMLHttpRequest', { Accept: 'text/html', 'X-Requested-With': 'XMLHttpRequest' }, false],
    ['fetch() in cors mode', { Accept: '*/*', 'Sec-Fetch-Mode': 'cors' }, false],
    ['a navigation with Sec-Fetch-Mode: navigate', { Accept: 'text/html', 'Sec-Fetch-Mode': 'navigate' }, true],
    ['a JSON body', { 'Content-Type': 'application/json' }, false],
  ];
  it.each(cases)('is %s => %s', async (_name, headers, expected) => {
    const { body } = await request(plainApp(probe)).get('/').set(headers);
    expect(body.value).toBe(expected);
  });
});

describe('safeReturnTo', () => {
  const hostile = [
    '//evil.com',
    '//evil.com/path',
    '///evil.com',
    '/\\evil.com',
    '\\/evil.com',
    '\\\\evil.com',
    '/%2fevil.com',
    '/%2Fevil.com',
    '/%5cevil.com',
    '/%5Cevil.com',
    'https:evil.com',
    'https:/evil.com',
    'HTTPS://evil.com',
    'hTtPs://evil.com/',
    'https://evil.com',
    'http://evil.com',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    ' javascript:alert(1)',
    'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'ftp://app.test/',
    '/path\r\nSet-Cookie: x=1',
    '/path%0d%0aSet-Cookie:%20x=1',
    '/path%00',
    'http://app.test//evil.com/',
    'http://app.test/\\evil.com',
    'http://app.test@evil.com',
    'http://app.test:80@evil.com/',
    'http://user:pass@app.test/',
    'http://app.test.evil.com/',
    'http://evil.com#http://app.test/',
    'http://evil.com?http://app.test/',
    'http://аpp.test/',
    'http://app.test%2eevil.com/',
    'http://app.test%2fevil.com/',
    'http://ａｐｐ.test.evil.com/',
    '//app.test@evil.com',
    'evil.com',
    `/${'a'.repeat(2100)}`,
    '',
  ];

  it.each(hostile)('rejects %j', async (value) => {
    const { body } = await request(plainApp((req) => safeReturnTo(value, req, config()))).get('/').set('Host', 'app.test');
    expect(body.value).toBeNull();
  });

  it('rejects anything that is not a string', async () => {
    const values = [undefined, null, 1, ['/a'], { href: '/a' }];
    const { body } = await request(plainApp((req) => values.map((v) => safeReturnTo(v, req, config()) ?? null))).get('/').set('Host', 'app.test');
    expect(body.value).toEqual([null, null, null, null, null]);
  });

  it.each([
    ['/dashboard', 'http://app.test/dashboard'],
    ['/settings?tab=2#x', 'http://app.test/settings?tab=2#x'],
    ['/a/../b', 'http://app.test/b'],
    ['http://app.test/x', 'http://app.test/x'],
    ['HTTP://APP.TEST/x', 'http://app.test/x'],
  ])('accepts the same-origin %j as %j', async (value, expected) => {
    const { body } = await request(plainApp((req) => safeReturnTo(value, req, config()))).get('/').set('Host', 'app.test');
    expect(body.value).toBe(expected);
  });

  describe('with allowedReturnUrls', () => {
    const allowList = config({ allowedReturnUrls: ['https://app.example.com', 'https://*.example.com/', 'https://docs.example.org/guide'] });
    it.each([
      ['https://app.example.com/x', true],
      ['https://shop.example.com/cart', true],
      ['https://a.b.example.com/', true],
      ['https://example.com/', false],
      ['https://evilexample.com/', false],
      ['https://example.com.evil.com/', false],
      ['http://app.example.com/x', false],
      ['https://app.example.com:8443/x', false],
      ['https://docs.example.org/guide', true],
      ['https://docs.example.org/guide/intro', true],
      ['https://docs.example.org/guidebook', false],
      ['https://docs.example.org/other', false],
      ['https://docs.example.org/guide/../admin', false],
    ])('%s => %s', async (value, allowed) => {
      const { body } = await request(plainApp((req) => safeReturnTo(value, req, allowList))).get('/').set('Host', 'app.test');
      expect(body.value !== null).toBe(allowed);
    });

    it('does not trust the request\'s own Host once a list is configured', async () => {
      const { body } = await request(plainApp((req) => safeReturnTo('/x', req, allowList))).get('/').set('Host', 'evil.com');
      expect(body.value).toBeNull();
    });
  });
});

describe('loginUrl', () => {
  it('points at the browser URL with refresh, aal and a safe return_to', async () => {
    const { body } = await request(plainApp((req) => loginUrl(config(), req, { returnTo: currentUrl(req).href, aal: 'aal2', refresh: true })))
      .get('/admin?x=1')
      .set('Host', 'app.test');
    expect(body.value).toBe('http://127.0.0.1:4433/self-service/login/browser?refresh=true&aal=aal2&return_to=http%3A%2F%2Fapp.test%2Fadmin%3Fx%3D1');
  });

  it('joins a relative browser URL with the request origin', async () => {
    const { body } = await request(plainApp((req) => loginUrl(config({ browserUrl: '/.ory' }), req, { returnTo: '/x' }))).get('/').set('Host', 'app.test:3000');
    expect(body.value).toBe('http://app.test:3000/.ory/self-service/login/browser?return_to=http%3A%2F%2Fapp.test%3A3000%2Fx');
  });

  it('drops an unsafe return_to', async () => {
    const { body } = await request(plainApp((req) => loginUrl(config(), req, { returnTo: '//evil.com' }))).get('/').set('Host', 'app.test');
    expect(body.value).toBe('http://127.0.0.1:4433/self-service/login/browser');
  });

  it('refuses to build a redirect on a spoofed Host when allowedReturnUrls pins the origins', async () => {
    const pinned = config({ browserUrl: '/.ory', allowedReturnUrls: ['https://app.example.com'] });
    const { body } = await request(plainApp((req) => loginUrl(pinned, req))).get('/').set('Host', 'evil.com');
    expect(body).toMatchObject({ error: 'BAD_REQUEST', status: 400 });
  });
});

describe('toBrowserUrl', () => {
  const cases: Array<[string, unknown, string | null]> = [
    ['a Kratos public URL', 'http://127.0.0.1:4433/self-service/login/browser?aal=aal2', 'http://app.test/.ory/self-service/login/browser?aal=aal2'],
    ['a browser URL', 'http://app.test/.ory/self-service/logout?token=t', 'http://app.test/.ory/self-service/logout?token=t'],
    ['another origin', 'http://evil.com/self-service/login/browser', null],
    ['a Kratos URL outside self-service', 'http://127.0.0.1:4433/admin/identities', null],
    ['user-info tricks', 'http://127.0.0.1:4433@evil.com/self-service/login/browser', null],
    ['a non-string', 42, null],
    ['a relative URL', '/self-service/login/browser', null],
  ];
  it.each(cases)('maps %s', async (_name, value, expected) => {
    const { body } = await request(plainApp((req) => toBrowserUrl(value, req, config({ browserUrl: '/.ory' })))).get('/').set('Host', 'app.test');
    expect(body.value).toBe(expected);
  });
});
