import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Core } from './core';
import { Ctx, type ResponseEvent, type ServerName } from './ctx';
import { KratosError } from './errors';
import type { Router } from './router';

export interface FaultSpec {
  route?: string;
  status?: number;
  body?: string;
  delayMs?: number;
  destroy?: boolean;
  times?: number;
}

interface ActiveFault extends FaultSpec {
  remaining: number;
}

/** Per-route request counters, injected faults and the onResponse hook, shared by both servers. */
export class Instrumentation {
  readonly stats: Record<string, number> = {};
  readonly faults: ActiveFault[] = [];
  constructor(readonly onResponse?: (e: ResponseEvent) => void) {}

  count(route: string): void {
    this.stats[route] = (this.stats[route] ?? 0) + 1;
  }

  take(route: string, path: string): ActiveFault | undefined {
    const fault = this.faults.find((f) => f.route === undefined || f.route === route || f.route === path);
    if (!fault) return undefined;
    fault.remaining--;
    if (fault.remaining <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
    return fault;
  }
}

const PUBLIC_HEADERS: Record<string, string> = { 'Cache-Control': 'private, no-cache, no-store, must-revalidate', Vary: 'Cookie' };

async function applyFault(ctx: Ctx, fault: ActiveFault): Promise<boolean> {
  if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs).unref?.());
  if (fault.destroy) {
    ctx.req.socket.destroy();
    return true;
  }
  if (fault.status) {
    const body = fault.body ?? '';
    let json = false;
    try {
      JSON.parse(body);
      json = body.length > 0;
    } catch {
      json = false;
    }
    ctx.text(fault.status, body, json ? 'application/json' : 'text/plain; charset=utf-8');
    return true;
  }
  return false;
}

export function createEmulatorServer(name: ServerName, core: Core, router: Router, inst: Instrumentation): Server {
  const env = {
    get csrfCookieName() {
      return core.csrfCookieName;
    },
    get cookieOptions() {
      return core.csrfCookieOptions();
    },
    onSent(ctx: Ctx, status: number, contentType: string | undefined, body: unknown) {
      inst.onResponse?.({ server: name, method: ctx.method, path: ctx.url.pathname, route: ctx.route, status, contentType, body });
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ctx = new Ctx(name, req, res, env);
    if (name === 'public') for (const [k, v] of Object.entries(PUBLIC_HEADERS)) res.setHeader(k, v);
    try {
      const match = router.match(ctx.method, ctx.url.pathname);
      if (!match.route) {
        if (match.methodNotAllowed) return ctx.text(405, 'Method Not Allowed\n');
        return ctx.text(404, '404 page not found\n');
      }
      ctx.route = match.route.path;
      inst.count(ctx.route);
      const fault = inst.take(ctx.route, ctx.url.pathname);
      if (fault && (await applyFault(ctx, fault))) return;
      await match.route.handler(ctx, match.params);
      if (!ctx.sent && !res.headersSent && !res.destroyed) ctx.error(new KratosError(500, { reason: 'The route produced no response.' }));
    } catch (err) {
      if (ctx.sent || res.headersSent) return;
      if (err instanceof KratosError) return ctx.error(err);
      ctx.error(new KratosError(500, { reason: (err as Error)?.message ?? String(err) }));
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 5000;
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  (server as Server & { destroyAll(): void }).destroyAll = () => {
    for (const s of sockets) s.destroy();
  };
  return server;
}

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    (server as Server & { destroyAll?(): void }).destroyAll?.();
    server.closeAllConnections?.();
  });
}
