import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import connect from 'connect';
import express from 'express';
import { getSession } from '../../lib/session/attach';
import type { SessionMiddleware } from '../../lib/session/middleware';

// The `express4` alias package ships no types; its API is the part of Express 5's that these tests use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const express4 = require('express4') as typeof express;

export type Framework = 'Express 5' | 'Express 4' | 'Connect' | 'plain http';
export const FRAMEWORKS: readonly Framework[] = ['Express 5', 'Express 4', 'Connect', 'plain http'];

type Next = (err?: unknown) => void;
type Locals = { locals?: Record<string, unknown> };

/** What the final handler answers: where the session was found. */
export interface Seen {
  session: string | null;
  property: string | null;
  locals: string | null;
  logoutUrl: string | null;
  email: string | null;
}

/** Final handler: 200 JSON describing the attached session. */
export function reportSession(property = 'session'): RequestListener {
  return function report(req, res) {
    const session = getSession(req);
    const onProperty = (req as unknown as Record<string, { id?: string } | undefined>)[property];
    const locals = (res as ServerResponse & Locals).locals;
    const seen: Seen = {
      session: session?.id ?? null,
      property: onProperty?.id ?? null,
      locals: (locals?.session as { id?: string } | undefined)?.id ?? null,
      logoutUrl: (locals?.logoutUrl as string | undefined) ?? null,
      email: (session?.identity?.traits as { email?: string } | undefined)?.email ?? null,
    };
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(seen));
  };
}

/** Error handler: answers `{ code, status, message }` with the error's status and headers. */
export function reportError(err: unknown, _req: IncomingMessage, res: ServerResponse): void {
  const e = err as { code?: string; status?: number; message?: string; headers?: Record<string, string> };
  res.statusCode = e.status ?? 500;
  for (const [name, value] of Object.entries(e.headers ?? {})) res.setHeader(name, value);
  res.setHeader('content-type', 'application/json');
  res.setHeader('x-error-handler', 'app');
  res.end(JSON.stringify({ code: e.code ?? null, status: e.status ?? null, message: e.message ?? String(err) }));
}

/**
 * An app of the given framework running `middlewares` in order, then {@link reportSession}; errors go to
 * {@link reportError}. For supertest.
 */
export function appWith(framework: Framework, middlewares: SessionMiddleware[], options: { trustProxy?: unknown; property?: string } = {}): RequestListener {
  const final = reportSession(options.property);
  switch (framework) {
    case 'Express 5':
    case 'Express 4': {
      const app = framework === 'Express 5' ? express() : express4();
      if (options.trustProxy !== undefined) app.set('trust proxy', options.trustProxy);
      for (const middleware of middlewares) app.use(middleware);
      app.use(final);
      app.use((err: unknown, req: IncomingMessage, res: ServerResponse, _next: Next) => reportError(err, req, res));
      return app as unknown as RequestListener;
    }
    case 'Connect': {
      const app = connect();
      for (const middleware of middlewares) app.use(middleware);
      app.use(final);
      app.use((err: unknown, req: IncomingMessage, res: ServerResponse, _next: Next) => reportError(err, req, res));
      return app as unknown as RequestListener;
    }
    case 'plain http':
      return function plain(req, res) {
        let i = 0;
        const next: Next = (err) => {
          if (err) return reportError(err, req, res);
          const middleware = middlewares[i++];
          if (middleware) middleware(req, res, next);
          else final(req, res);
        };
        next();
      };
  }
}
