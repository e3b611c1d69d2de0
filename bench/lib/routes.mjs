// The route every benchmark app serves, and the loopback servers that serve it.
import { IncomingMessage, ServerResponse, createServer } from 'node:http';
import { Socket } from 'node:net';
import express from 'express';

/** GET /hello: a small JSON answer naming the identity of the attached session, if any. */
export function hello(req, res) {
  res.json({ hello: 'world', identity: req.session?.identity?.id ?? null });
}

/** The same route behind `middleware` (none: the route alone). */
export function helloApp(middleware) {
  const app = express().disable('x-powered-by');
  if (middleware) app.use(middleware);
  return app.get('/hello', hello);
}

/** The active session the kit's check finds for `cookie` (throws for any other answer). */
export async function activeSession(context, cookie) {
  const result = await context.sessions.check({ headers: { cookie } });
  if (result.state !== 'active') throw new Error(`the Kratos side did not answer an active session for the cookie (${result.state})`);
  return result.session;
}

/** A middleware attaching `session` as `req.session` with no check: what attaching alone costs. */
export const attachFixed = (session) => (req, res, next) => {
  req.session = session;
  next();
};

/**
 * For loops in one process: a function that calls `app` with a fresh `IncomingMessage`/`ServerResponse`
 * pair for `GET /hello` carrying `cookie`, built as Node builds them (so Express re-prototypes the request
 * as over HTTP), with no socket I/O. A call that ends in Express's error handler throws.
 */
export function inProcessCaller(app, cookie) {
  const socket = new Socket();
  const fail = (err) => {
    throw err ?? new Error('the route was not reached');
  };
  return () => {
    const req = new IncomingMessage(socket);
    req.method = 'GET';
    req.url = '/hello';
    req.headers = { host: '127.0.0.1', accept: 'application/json', cookie };
    app(req, new ServerResponse(req), fail);
  };
}

/**
 * Serves each app on its own loopback port (keep-alive, as the load generator expects); resolves with the
 * URL of each app's /hello by name and a `close()` that ends every server and its connections.
 */
export async function serveApps(apps) {
  const servers = [];
  const urls = {};
  for (const [name, app] of Object.entries(apps)) {
    const server = createServer({ keepAliveTimeout: 65_000 }, app);
    servers.push(server);
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    urls[name] = `http://127.0.0.1:${server.address().port}/hello`;
  }
  const close = () => {
    for (const server of servers) server.closeAllConnections(), server.close();
  };
  return { urls, close };
}
