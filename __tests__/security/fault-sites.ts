import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { runInThisContext } from 'node:vm';
import express from 'express';
import type { KratosKit } from '../../lib/create-kratos';
import { getSession } from '../../lib/session/attach';
import { reportError } from '../helpers/apps';
import { createCookieJar, type CookieJar } from '../helpers/cookie-jar';
import { answerAs, type FaultyBehaviour } from '../helpers/faulty-kratos';
import { startUpstream, type Upstream } from '../helpers/upstream';
import { listen } from '../proxy/helpers';

/** The `Accept` header of a browser navigation, and of an API call. */
export const NAVIGATION = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
export const API = 'application/json';

/** A session cookie as Kratos sets it (the faulty Kratos does not check its value). */
export const SESSION_COOKIE = 'ory_kratos_session=MTcyMjUwMDAwMHxEWDhFQVFMX2dBQUJFQUVRQUFCX19fMF9nQUFB';

/** The flows a browser starts at Kratos and the app page Kratos sends it to (`selfservice.flows.<flow>.ui_url`). */
const BROWSER_INIT = /^\/self-service\/(login|registration|settings|recovery|verification)\/browser(?:\?|$)/;

/**
 * Kratos as a browser and the app see it during a fault: `GET /self-service/<flow>/browser` works as in a real
 * Kratos (a new flow, 303 to the app's page of that flow, `<ui()>/<flow>?flow=<id>`), every other request (the
 * app's `whoami` and flow fetches) is answered as `fault`. Working browser endpoints are the case where a
 * refusal could turn into a redirect loop between the app and Kratos.
 */
export function withBrowserFlows(fault: FaultyBehaviour, ui: () => string): FaultyBehaviour {
  if (fault === 'refuse') return fault;
  return (req: IncomingMessage, res: ServerResponse) => {
    const flow = BROWSER_INIT.exec(req.url ?? '')?.[1];
    if (!flow) return answerAs(fault, req, res);
    res.writeHead(303, { location: `${ui()}/${flow}?flow=${randomUUID()}`, 'cache-control': 'private, no-cache, no-store, must-revalidate' });
    res.end();
  };
}

/** A server on loopback in front of one component, counting what reached the handler behind it. */
export interface Site {
  readonly url: string;
  /** Requests that reached the protected handler (requireSession), the fall-through (flowRoutes) or a protected path upstream (gate). */
  readonly reached: number;
  close(): Promise<void>;
}

/**
 * `requireSession()` in an Express 5 app: `GET /dashboard` is protected (its handler answers the session id),
 * `GET /login` is the app's public sign-in page (Kratos' `ui_url`), errors go to the test's error handler.
 */
export async function sessionSite(kit: KratosKit): Promise<Site> {
  let reached = 0;
  const app = express();
  app.get('/login', (_req, res) => void res.type('html').send('<form method="post">Sign in</form>'));
  app.get('/dashboard', kit.requireSession(), (req, res) => {
    reached++;
    res.json({ session: getSession(req)?.id ?? null });
  });
  app.use((err: unknown, req: IncomingMessage, res: ServerResponse, _next: (err?: unknown) => void) => reportError(err, req, res));
  const served = await listen(app);
  return { url: served.url, get reached() { return reached; }, close: served.close };
}

/** `flowRoutes()` in an Express 5 app; a request it hands on with `next()` is counted and answered 404. */
export async function flowsSite(kit: KratosKit): Promise<Site> {
  let reached = 0;
  const app = express();
  app.use(kit.flowRoutes());
  app.use((_req, res) => {
    reached++;
    res.status(404).json({ fellThrough: true });
  });
  app.use((err: unknown, req: IncomingMessage, res: ServerResponse, _next: (err?: unknown) => void) => reportError(err, req, res));
  const served = await listen(app);
  return { url: served.url, get reached() { return reached; }, close: served.close };
}

/** Path of the gate's public rule: the upstream's sign-in page (Kratos' `ui_url`). */
export const GATE_PUBLIC = '/login';

/**
 * `authGate()` on a plain `http` server in front of the echo upstream: `/login` is public, every other path
 * needs a session. `reached` counts the requests of protected paths the upstream received.
 */
export async function gateSite(kit: KratosKit): Promise<Site & { readonly upstream: Upstream }> {
  const upstream = await startUpstream();
  const gate = kit.authGate({ upstream: upstream.url, rules: [{ path: GATE_PUBLIC, access: 'public' }, { path: '/' }] });
  const served = await listen(gate);
  const protectedSeen = () => upstream.requests.filter((r) => new URL(r.url, 'http://x').pathname !== GATE_PUBLIC).length;
  return {
    url: served.url,
    upstream,
    get reached() { return protectedSeen(); },
    async close() {
      await served.close();
      await upstream.close();
    },
  };
}

/** One response of a followed chain; `status` 0 when the connection failed (`error` says how). */
export interface Hop {
  url: string;
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  error?: string;
}

/** The URL with its flow id replaced, so that a restart loop through new flows shows as a repeated URL. */
export const cycleKey = (url: string): string => {
  const parsed = new URL(url);
  if (parsed.searchParams.has('flow')) parsed.searchParams.set('flow', '*');
  return parsed.href;
};

/** One GET over a fresh connection (closed after the answer), bounded by `limitMs`. */
function get(url: string, headers: Record<string, string>, limitMs: number): Promise<Hop> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent: false, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ url, status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', (err) => resolve({ url, status: 0, headers: res.headers, body, error: (err as NodeJS.ErrnoException).code ?? err.message }));
    });
    req.setTimeout(limitMs, () => req.destroy(new Error(`no answer within ${limitMs} ms`)));
    req.on('error', (err) => resolve({ url, status: 0, headers: {}, body: '', error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end();
  });
}

/**
 * Navigates like a browser tab: sends the jar's cookies, stores every `Set-Cookie`, and follows redirects (to
 * any origin) up to `maxHops` responses. Returns every response; the last one is where it stopped.
 */
export async function follow(url: string, options: { accept: string; jar: CookieJar; maxHops: number; limitMs?: number }): Promise<Hop[]> {
  const hops: Hop[] = [];
  let next: string | undefined = url;
  while (next !== undefined && hops.length < options.maxHops) {
    const cookie = options.jar.header(next);
    const hop = await get(next, { accept: options.accept, ...(cookie ? { cookie } : {}) }, options.limitMs ?? 10_000);
    options.jar.store(next, { headers: hop.headers });
    hops.push(hop);
    const location = hop.headers.location;
    next = hop.status >= 300 && hop.status < 400 && location ? new URL(location, next).href : undefined;
  }
  return hops;
}

/** A jar holding the session cookie for loopback (cookies ignore ports, so Kratos receives it too, as in a browser). */
export function jarWithSession(url: string): CookieJar {
  const jar = createCookieJar();
  jar.set(`${SESSION_COOKIE}; Path=/; HttpOnly; SameSite=Lax`, url);
  return jar;
}

export interface RejectionRecorder {
  /** Every unhandled rejection since the start. */
  readonly seen: unknown[];
  /** Leaves an unhandled rejection on purpose (Jest's own handler set aside meanwhile); true when it was recorded. */
  probe(): Promise<boolean>;
  stop(): void;
}

/**
 * Records every unhandled promise rejection of this process. Jest hands a test file a copy of `process`
 * whose listeners Node never calls; the process Node reports to is the one of the main context.
 */
export function recordUnhandledRejections(): RejectionRecorder {
  const real = runInThisContext('process') as NodeJS.Process;
  const seen: unknown[] = [];
  const listener = (reason: unknown) => void seen.push(reason);
  real.on('unhandledRejection', listener);
  return {
    seen,
    async probe() {
      const others = real.listeners('unhandledRejection').filter((l) => l !== listener) as Array<(reason: unknown) => void>;
      for (const other of others) real.off('unhandledRejection', other);
      const marker = new Error('deliberately unhandled');
      try {
        void Promise.reject(marker);
        await new Promise((resolve) => setTimeout(resolve, 20));
      } finally {
        for (const other of others) real.on('unhandledRejection', other);
      }
      const at = seen.indexOf(marker);
      if (at !== -1) seen.splice(at, 1);
      return at !== -1;
    },
    stop: () => void real.off('unhandledRejection', listener),
  };
}
