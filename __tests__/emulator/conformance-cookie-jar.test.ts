import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { createCookieJar } from '../helpers/cookie-jar';

let server: Server;
let origin: string;
const seen: Array<{ method: string; url: string; cookie: string; body: string }> = [];

function handler(req: IncomingMessage, res: ServerResponse) {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', cookie: req.headers.cookie ?? '', body });
    const url = new URL(req.url ?? '/', origin);
    switch (url.pathname) {
      case '/set':
        res.setHeader('Set-Cookie', ['root=1; Path=/; HttpOnly; SameSite=Lax', 'scoped=2; Path=/sub', 'secure=3; Path=/; Secure; HttpOnly']);
        res.end('ok');
        return;
      case '/delete':
        res.setHeader('Set-Cookie', ['root=; Path=/; Max-Age=0', 'scoped=; Path=/sub; Expires=Thu, 01 Jan 1970 00:00:00 GMT']);
        res.end('ok');
        return;
      case '/hop':
        res.statusCode = req.method === 'POST' ? 303 : 302;
        res.setHeader('Set-Cookie', 'hop=1; Path=/');
        res.setHeader('Location', '/landing');
        res.end();
        return;
      case '/loop':
        res.statusCode = 302;
        res.setHeader('Location', '/loop');
        res.end();
        return;
      default:
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ cookie: req.headers.cookie ?? '' }));
    }
  });
}

beforeAll(async () => {
  server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen.length = 0;
});

describe('createCookieJar', () => {
  it('stores Set-Cookie by name and sends only the cookies whose Path matches', async () => {
    const jar = createCookieJar();
    await jar.fetch(`${origin}/set`);
    expect(jar.names(`${origin}/`).sort()).toEqual(['root', 'secure']);
    expect(jar.names(`${origin}/sub/page`).sort()).toEqual(['root', 'scoped', 'secure']);
    expect(jar.get('scoped', `${origin}/sub`)).toBe('2');
    expect(jar.get('scoped', `${origin}/other`)).toBeUndefined();
    const echoed = await (await jar.fetch(`${origin}/sub/echo`)).json();
    expect(echoed.cookie.split('; ').sort()).toEqual(['root=1', 'scoped=2', 'secure=3']);
  });

  it('keeps Secure cookies of a loopback http server, as browsers treat loopback as secure', async () => {
    const jar = createCookieJar();
    await jar.fetch(`${origin}/set`);
    expect(jar.get('secure', `${origin}/`)).toBe('3');
  });

  it('deletes cookies on Max-Age=0 and on an Expires in the past', async () => {
    const jar = createCookieJar();
    await jar.fetch(`${origin}/set`);
    await jar.fetch(`${origin}/delete`);
    expect(jar.names(`${origin}/sub/x`)).toEqual(['secure']);
  });

  it('does not send cookies to another origin', async () => {
    const jar = createCookieJar();
    await jar.fetch(`${origin}/set`);
    expect(jar.header(origin.replace('127.0.0.1', 'localhost'))).toBe('');
  });

  it('follows redirects itself, keeping cookies set on the redirect and switching POST to GET after 303', async () => {
    const jar = createCookieJar();
    const response = await jar.fetch(`${origin}/hop`, { method: 'POST', body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(response.status).toBe(200);
    expect(seen.map((r) => `${r.method} ${r.url} ${r.cookie}`)).toEqual(['POST /hop ', 'GET /landing hop=1']);
    expect(seen[1].body).toBe('');
  });

  it("returns the 3xx untouched with redirect: 'manual' but still stores its cookies", async () => {
    const jar = createCookieJar();
    const response = await jar.fetch(`${origin}/hop`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/landing');
    expect(jar.get('hop', origin)).toBe('1');
    expect(seen).toHaveLength(1);
  });

  it('stops a redirect loop with an error after a bounded number of hops', async () => {
    const jar = createCookieJar();
    await expect(jar.fetch(`${origin}/loop`)).rejects.toThrow('more than 20 redirects');
    expect(seen).toHaveLength(21);
  });

  it('works with supertest responses and request headers', async () => {
    const app = express();
    app.get('/login', (_req, res) => {
      res.cookie('session', 'abc', { path: '/', httpOnly: true }).cookie('csrf', 'x y', { path: '/' }).end();
    });
    app.get('/me', (req, res) => {
      res.json({ cookie: req.headers.cookie });
    });
    const jar = createCookieJar();
    const base = 'http://127.0.0.1/';
    jar.store(base, await request(app).get('/login'));
    const me = await request(app).get('/me').set('Cookie', jar.header(base));
    expect(me.body.cookie).toBe('session=abc; csrf=x%20y');
  });

  it('accepts raw Set-Cookie strings and a manual set', () => {
    const jar = createCookieJar();
    jar.store('http://127.0.0.1:4433/', ['a=1; Path=/', 'b=2; Path=/']);
    jar.set('c=3', 'http://127.0.0.1:4433/');
    expect(jar.header('http://127.0.0.1:4433/')).toBe('a=1; b=2; c=3');
    jar.clear();
    expect(jar.header('http://127.0.0.1:4433/')).toBe('');
  });
});
