import { KratosClient, errorFromResponse } from '../../lib/kratos/client';
import { resolveConfig, type KratosOptions } from '../../lib/kratos/config';
import type { KratosExpressError } from '../../lib/kratos/errors';
import { startFaultyKratos, type FaultyKratos } from '../helpers/faulty-kratos';

const transports: Array<[string, Partial<KratosOptions>]> = [
  ['the keep-alive pool', {}],
  ['a custom fetch (global fetch)', { fetch: (url, init) => fetch(url, init) }],
];

async function rejection(promise: Promise<unknown>): Promise<KratosExpressError> {
  try {
    await promise;
  } catch (err) {
    return err as KratosExpressError;
  }
  throw new Error('expected a rejection');
}

describe.each(transports)('KratosClient over %s', (_name, transport) => {
  let kratos: FaultyKratos;
  let client: KratosClient;
  const clients: KratosClient[] = [];
  const makeClient = (url: string, options: Partial<KratosOptions> = {}) => {
    const made = new KratosClient(resolveConfig({ publicUrl: url, ...transport, ...options }, {}));
    clients.push(made);
    return made;
  };

  beforeAll(async () => {
    kratos = await startFaultyKratos((req, res) => {
      if (req.url?.startsWith('/redirect')) {
        res.writeHead(303, { location: 'http://127.0.0.1:1/elsewhere', 'content-type': 'text/plain' });
        return void res.end('See Other');
      }
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'set-cookie': ['a=1; Path=/', 'b=2; Path=/'] });
      res.end(JSON.stringify({ method: req.method, url: req.url }));
    });
    client = makeClient(kratos.url);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await kratos.close();
  });
  beforeEach(() => {
    kratos.requests.length = 0;
  });

  it('sends the path and query to the configured origin and parses JSON', async () => {
    const res = await client.request({ path: '/self-service/login/flows', query: { id: 'a b&c', skip: undefined } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ method: 'GET', url: '/self-service/login/flows?id=a+b%26c' });
    expect(res.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
  });

  it('forwards only the headers it is given, plus accept: application/json', async () => {
    await client.request({ path: '/sessions/whoami', headers: { Cookie: 'ory_kratos_session=abc', 'x-other': undefined } });
    const { headers } = kratos.requests[0];
    expect(headers.cookie).toBe('ory_kratos_session=abc');
    expect(headers.accept).toBe('application/json');
    expect(headers['x-other']).toBeUndefined();
    expect(headers.authorization).toBeUndefined();
  });

  it('sends object bodies as JSON', async () => {
    const res = await client.request({ method: 'DELETE', path: '/self-service/logout/api', body: { session_token: 't' } });
    expect(res.body).toEqual({ method: 'DELETE', url: '/self-service/logout/api' });
    expect(kratos.requests[0].headers['content-type']).toBe('application/json');
  });

  it('never follows redirects', async () => {
    const res = await client.request({ path: '/redirect' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('http://127.0.0.1:1/elsewhere');
    expect(res.body).toBeUndefined();
    expect(res.text).toBe('See Other');
  });

  it.each(['http://evil.com/sessions/whoami', '//evil.com/x', 'sessions/whoami', '/a/../admin', '/a/%2e%2e/admin', '/a?b=c', '/a#b', '/a b', '/a\\b'])(
    'refuses the path %j without sending anything',
    async (path) => {
      const err = await rejection(client.request({ path }));
      expect(err.code).toBe('BAD_REQUEST');
      expect(kratos.requests).toHaveLength(0);
    },
  );

  it('refuses header values with line breaks', async () => {
    const err = await rejection(client.request({ path: '/x', headers: { cookie: 'a=1\r\nx-injected: 1' } }));
    expect(err.code).toBe('BAD_REQUEST');
  });

  it('asks whoami with the session cookie or the session token', async () => {
    await client.whoami({ cookie: 'ory_kratos_session=c' });
    await client.whoami({ sessionToken: 'ory_st_t' });
    expect(kratos.requests.map((r) => [r.url, r.headers.cookie, r.headers['x-session-token']])).toEqual([
      ['/sessions/whoami', 'ory_kratos_session=c', undefined],
      ['/sessions/whoami', undefined, 'ory_st_t'],
    ]);
  });

  it('maps a refused connection to KRATOS_UNREACHABLE (502)', async () => {
    const down = await startFaultyKratos('refuse');
    const err = await rejection(makeClient(down.url).whoami({ cookie: 'ory_kratos_session=x' }));
    expect(err.code).toBe('KRATOS_UNREACHABLE');
    expect(err.status).toBe(502);
    expect(err.message).toContain(down.url);
  });

  it('maps a hanging Kratos to KRATOS_TIMEOUT (504) after the timeout', async () => {
    const hanging = await startFaultyKratos('hang');
    try {
      const err = await rejection(makeClient(hanging.url, { timeout: 100 }).whoami({ cookie: 'ory_kratos_session=x' }));
      expect(err.code).toBe('KRATOS_TIMEOUT');
      expect(err.status).toBe(504);
      expect(err.message).toContain('100 ms');
    } finally {
      await hanging.close();
    }
  });

  it('maps malformed and truncated JSON to KRATOS_BAD_RESPONSE (502)', async () => {
    const faulty = await startFaultyKratos('bad-json');
    try {
      const c = makeClient(faulty.url);
      const bad = await rejection(c.whoami({ cookie: 'ory_kratos_session=x' }));
      expect(bad.code).toBe('KRATOS_BAD_RESPONSE');
      expect(bad.cause).toEqual({ status: 200, body: '{"id": "x", active: true' });
      faulty.setBehaviour('truncated-json');
      const truncated = await rejection(c.whoami({ cookie: 'ory_kratos_session=x' }));
      expect(truncated.code).toBe('KRATOS_BAD_RESPONSE');
      expect(truncated.status).toBe(502);
    } finally {
      await faulty.close();
    }
  });

  it('returns a non-JSON answer as text with no body', async () => {
    const faulty = await startFaultyKratos('html');
    try {
      const res = await makeClient(faulty.url).request({ path: '/sessions/whoami' });
      expect(res.body).toBeUndefined();
      expect(res.text).toContain('<title>');
    } finally {
      await faulty.close();
    }
  });

  it('bounds the whole exchange: a body that trickles past the timeout is KRATOS_TIMEOUT (504)', async () => {
    const timers = new Set<NodeJS.Timeout>();
    const trickling = await startFaultyKratos((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"id":"');
      const timer = setInterval(() => res.write('x'), 20);
      timers.add(timer);
      res.on('close', () => clearInterval(timer));
    });
    try {
      const err = await rejection(makeClient(trickling.url, { timeout: 200 }).whoami({ cookie: 'ory_kratos_session=x' }));
      expect(err.code).toBe('KRATOS_TIMEOUT');
      expect(err.status).toBe(504);
    } finally {
      for (const timer of timers) clearInterval(timer);
      await trickling.close();
    }
  });

  it.each([
    ['with a Content-Length', true],
    ['chunked', false],
  ])('refuses an answer over 4 MiB (%s) with KRATOS_BAD_RESPONSE (502)', async (_name, withLength) => {
    const size = 5 * 1024 * 1024;
    const huge = await startFaultyKratos((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', ...(withLength ? { 'content-length': String(size) } : {}) });
      res.end(Buffer.alloc(size, 0x20));
    });
    try {
      const err = await rejection(makeClient(huge.url).whoami({ cookie: 'ory_kratos_session=x' }));
      expect(err.code).toBe('KRATOS_BAD_RESPONSE');
      expect(err.status).toBe(502);
      expect(err.message).toContain('more than');
    } finally {
      await huge.close();
    }
  });

  it('refuses an answer whose Content-Length is over 4 MiB at its headers, without waiting for the body', async () => {
    const announcing = await startFaultyKratos((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(5 * 1024 * 1024) });
      res.write('{"id":"'); // and nothing more: reading on would only end with the timeout
    });
    try {
      const err = await rejection(makeClient(announcing.url, { timeout: 2000 }).whoami({ cookie: 'ory_kratos_session=x' }));
      expect([err.code, err.status]).toEqual(['KRATOS_BAD_RESPONSE', 502]);
      expect(err.message).toContain('more than');
    } finally {
      await announcing.close();
    }
  });

  it('times out every one of several overlapping requests, then answers the next one', async () => {
    const flaky = await startFaultyKratos('hang');
    try {
      const c = makeClient(flaky.url, { timeout: 150 });
      const first = rejection(c.whoami({ cookie: 'ory_kratos_session=a' }));
      await new Promise((resolve) => setTimeout(resolve, 40));
      const second = rejection(c.whoami({ cookie: 'ory_kratos_session=b' }));
      const third = rejection(c.request({ path: '/self-service/login/flows', query: { id: 'x' } }));
      expect((await Promise.all([first, second, third])).map((err) => err.code)).toEqual(['KRATOS_TIMEOUT', 'KRATOS_TIMEOUT', 'KRATOS_TIMEOUT']);
      flaky.setBehaviour((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
      const res = await c.whoami({ cookie: 'ory_kratos_session=c' });
      expect(res.body).toEqual({ ok: true });
    } finally {
      await flaky.close();
    }
  });

  it('reads an answer sent in pieces that split multi-byte characters', async () => {
    const body = Buffer.from(JSON.stringify({ traits: { name: 'Zoë Ångström 日本語 🙂'.repeat(200) } }));
    const pieces = await startFaultyKratos((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let at = 0;
      const next = () => {
        if (at >= body.length) return void res.end();
        const end = Math.min(body.length, at + 1001); // 1001: pieces end inside multi-byte characters
        res.write(body.subarray(at, end));
        at = end;
        setImmediate(next);
      };
      next();
    });
    try {
      const res = await makeClient(pieces.url).whoami({ cookie: 'ory_kratos_session=x' });
      expect(res.body).toEqual(JSON.parse(body.toString('utf8')));
    } finally {
      await pieces.close();
    }
  });

  it('drops a UTF-8 byte order mark before parsing JSON', async () => {
    const marked = await startFaultyKratos((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"id":"s"}')]));
    });
    try {
      expect((await makeClient(marked.url).whoami({ cookie: 'ory_kratos_session=x' })).body).toEqual({ id: 's' });
    } finally {
      await marked.close();
    }
  });

  it('returns the final answer after an interim 103 Early Hints', async () => {
    const hinting = await startFaultyKratos((_req, res) => {
      res.writeEarlyHints({ link: '</x.css>; rel=preload; as=style' });
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":{"code":401}}');
    });
    try {
      const res = await makeClient(hinting.url).whoami({ cookie: 'ory_kratos_session=x' });
      expect([res.status, res.body]).toEqual([401, { error: { code: 401 } }]);
    } finally {
      await hinting.close();
    }
  });

  it('rejects at once on a caller abort while the request still waits for a connection', async () => {
    const hanging = await startFaultyKratos('hang');
    try {
      const c = makeClient(hanging.url, { connections: 1, timeout: 1500 });
      const first = rejection(c.whoami({ cookie: 'ory_kratos_session=a' }));
      const controller = new AbortController();
      const started = Date.now();
      const queued = c.whoami({ cookie: 'ory_kratos_session=b' }, controller.signal);
      setTimeout(() => controller.abort(new Error('client went away')), 50);
      await expect(queued).rejects.toThrow('client went away');
      // not held until the first request's timeout frees the only connection
      expect(Date.now() - started).toBeLessThan(1000);
      expect((await first).code).toBe('KRATOS_TIMEOUT');
    } finally {
      await hanging.close();
    }
  });

  it('calls Kratos under the path of publicUrl', async () => {
    const c = makeClient(`${kratos.url}/kratos/`);
    const whoami = await c.whoami({ cookie: 'ory_kratos_session=c' });
    const flow = await c.request({ path: '/self-service/login/flows', query: { id: '1' } });
    expect([whoami.body, flow.body]).toEqual([
      { method: 'GET', url: '/kratos/sessions/whoami' },
      { method: 'GET', url: '/kratos/self-service/login/flows?id=1' },
    ]);
  });

  it('refuses a credential with line breaks without sending anything', async () => {
    const byCookie = await rejection(client.whoami({ cookie: 'ory_kratos_session=a\r\nx-injected: 1' }));
    const byToken = await rejection(client.whoami({ sessionToken: 'a\nb' }));
    expect([byCookie.code, byToken.code]).toEqual(['BAD_REQUEST', 'BAD_REQUEST']);
    expect(kratos.requests).toHaveLength(0);
  });

  it('sends nothing for a caller signal that is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('client went away'));
    await expect(client.whoami({ cookie: 'ory_kratos_session=x' }, controller.signal)).rejects.toThrow('client went away');
    expect(kratos.requests).toHaveLength(0);
  });

  it('passes a caller abort through unchanged', async () => {
    const hanging = await startFaultyKratos('hang');
    try {
      const controller = new AbortController();
      const pending = makeClient(hanging.url).request({ path: '/x', signal: controller.signal });
      setTimeout(() => controller.abort(new Error('client went away')), 20);
      await expect(pending).rejects.toThrow('client went away');
    } finally {
      await hanging.close();
    }
  });
});

describe('errorFromResponse', () => {
  const response = (status: number, headers: Record<string, string> = {}) => ({ status, headers, body: { error: { code: status } }, text: '' });

  it('maps 5xx to KRATOS_UNAVAILABLE (503) with the answer as cause', () => {
    const err = errorFromResponse(response(500));
    expect(err).toMatchObject({ code: 'KRATOS_UNAVAILABLE', status: 503, statusCode: 503, expose: false });
    expect(err.cause).toEqual({ status: 500, body: { error: { code: 500 } } });
  });

  it('keeps Retry-After of a 429', () => {
    expect(errorFromResponse(response(429, { 'retry-after': '30' })).headers).toEqual({ 'Retry-After': '30' });
  });

  it('drops a Retry-After that could inject headers', () => {
    expect(errorFromResponse(response(429, { 'retry-after': '30\r\nSet-Cookie: x=1' })).headers).toBeUndefined();
  });

  it('maps other unexpected statuses to KRATOS_BAD_RESPONSE (502)', () => {
    expect(errorFromResponse(response(404))).toMatchObject({ code: 'KRATOS_BAD_RESPONSE', status: 502 });
  });
});
