// The servers under test, all in one child process, each on its own loopback port and each serving the
// same route (GET /hello answering a small JSON body) behind a different way of checking the session.
// Started by run.mjs with the Kratos and upstream URLs in the environment; the kit comes from the build.
import { Agent } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Configuration, FrontendApi } from '@ory/kratos-client-fetch';
import express from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { Pool } from 'undici';
import { onRequest, send } from './lib/ipc.mjs';
import { activeSession, attachFixed, helloApp, serveApps } from './lib/routes.mjs';

const kratosUrl = process.env.BENCH_KRATOS_URL;
const upstreamUrl = process.env.BENCH_UPSTREAM_URL;
const kitDir = process.env.BENCH_KIT_DIR;
const cacheMax = Number(process.env.BENCH_CACHE_MAX ?? 10_000);
const sessionCookie = process.env.BENCH_SESSION_COOKIE;
const require = createRequire(import.meta.url);
const kit = require(join(kitDir, 'index.js'));
let proxyKit = {};
try {
  proxyKit = require(join(kitDir, 'proxy', 'index.js'));
} catch {
  proxyKit = {};
}

const kratosOptions = { publicUrl: kratosUrl };
const cachedOptions = { ...kratosOptions, cache: { ttl: '5m', max: cacheMax } };
// the session Kratos answers for the cookie of the warm-cache scenarios, asked once before any measurement
const fixedSession = await activeSession(kit.contextFor(kratosOptions), sessionCookie);

/** The minimum work a session check can do: one keep-alive undici request, one JSON.parse. */
function rawUndiciMiddleware() {
  const pool = new Pool(kratosUrl, { connections: 64, keepAliveTimeout: 4_000, keepAliveMaxTimeout: 60_000 });
  return async function rawWhoami(req, res, next) {
    try {
      const { statusCode, body } = await pool.request({
        method: 'GET',
        path: '/sessions/whoami',
        headers: { accept: 'application/json', cookie: req.headers.cookie ?? '' },
      });
      const text = await body.text();
      if (statusCode !== 200) {
        res.status(401).json({ error: 'unauthorized' });
        return;
      }
      req.session = JSON.parse(text);
      next();
    } catch (err) {
      next(err);
    }
  };
}

/** The pattern of Ory's Express guide: the SDK's `toSession` with the request's cookies on every request. */
function docsSdkMiddleware() {
  const ory = new FrontendApi(new Configuration({ basePath: kratosUrl }));
  return async function requireAuth(req, res, next) {
    try {
      req.session = await ory.toSession({ cookie: req.header('cookie') });
      next();
    } catch {
      res.redirect(`${kratosUrl}/self-service/login/browser`);
    }
  };
}

const proxyApp = (middleware) => express().disable('x-powered-by').use(middleware);

const apps = {
  noauth: () => helloApp(),
  // a second copy of the same app: how far two apps doing the same work drift apart in one run
  noauthTwin: () => helloApp(),
  // the cheapest middleware there is, mounted like requireSession(): what one more app.use layer costs
  noopLayer: () => helloApp((req, res, next) => next()),
  // the least a session middleware can do on a cache hit: attach the session (the same object every time)
  fixedSession: () => helloApp(attachFixed(fixedSession)),
  kitCache: () => helloApp(kit.requireSession(cachedOptions)),
  kitNoCache: () => helloApp(kit.requireSession(kratosOptions)),
  rawUndici: () => helloApp(rawUndiciMiddleware()),
  docsSdk: () => helloApp(docsSdkMiddleware()),
  proxy: () => proxyApp(createProxyMiddleware({ target: upstreamUrl })),
  proxyKeepAlive: () => proxyApp(createProxyMiddleware({ target: upstreamUrl, agent: new Agent({ keepAlive: true, maxSockets: 64 }) })),
};
if (typeof proxyKit.authGate === 'function') {
  apps.gate = () => proxyApp(proxyKit.authGate({ ...cachedOptions, upstream: upstreamUrl }));
}

const { urls } = await serveApps(Object.fromEntries(Object.entries(apps).map(([name, make]) => [name, make()])));

const statsOf = (options) => ({ ...kit.contextFor(options).sessions.stats });

onRequest((msg) => {
  if (msg.type === 'gc') {
    globalThis.gc?.();
    return { collected: typeof globalThis.gc === 'function' };
  }
  if (msg.type === 'stats') {
    return { kitCache: statsOf(cachedOptions), kitNoCache: statsOf(kratosOptions), memory: process.memoryUsage(), cpu: process.cpuUsage() };
  }
  throw new Error(`unknown request ${msg.type}`);
});
// a clean exit on SIGTERM lets --cpu-prof write its profile (see profile.mjs)
process.on('SIGTERM', () => process.exit(0));
send({ type: 'ready', urls });
