import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { closeSharedContexts } from '../context';
import { KratosConfigError } from '../kratos/config';
import { parseDuration } from '../kratos/duration';
import { authGate, type AuthGateOptions } from '../proxy/gate';
import { GateConfigFileError, loadGateConfig, type GateFileConfig } from '../proxy/config-file';
import { parseTarget } from '../proxy/paths';
import { flags, portFlag, usageError } from './args';
import type { CliIo, Command } from './main';

const USAGE = `Usage: kratos-express gate --upstream <url> [--kratos <url>] [options]

Runs the auth gate: an identity-aware reverse proxy that lets through only requests with a Kratos session
(per the rules), removes identity headers clients send themselves, adds trusted ones (X-User-Id, ...) and
streams everything (bodies, SSE, websockets) to the upstream. Logs one JSON line per request to stdout.
Stops gracefully on SIGTERM/SIGINT: new connections are refused, requests in flight finish, then exit 0.

Options:
  --upstream <url>          the service behind the gate, e.g. http://127.0.0.1:8080
  --kratos <url>            Kratos' public API (default: $KRATOS_PUBLIC_URL)
  --browser-url <url>       where browsers reach Kratos, for login redirects (default: --kratos)
  --port <n>                port to listen on (default 4455; 0 picks a free one)
  --host <host>             interface to listen on (default 127.0.0.1)
  --config <file>           YAML or JSON file with rules, headers, jwt, ... (flags override it)
  --trust-proxy <list>      comma-separated IPs/CIDRs whose X-Forwarded-* are believed
  --upstream-timeout <d>    longest silence of the upstream, e.g. 60s (default)
  --cache-ttl <d>           cache active sessions for this long, e.g. 30s (default: no cache)
  --forward-session-cookie  also pass Kratos' cookies and session tokens upstream (default: stripped)
  --shutdown-timeout <d>    longest wait for requests in flight on shutdown (default 10s)
  -h, --help                show this help

Configuration file keys: upstream, kratos, browserUrl, host, port, rules, headers, jwt,
stripSessionCookie, stripHeaders, trustedProxies, upstreamTimeout, timeout, cache, allowedReturnUrls,
sessionCookieName, shutdownTimeout. Example (gate.yml):

  upstream: http://127.0.0.1:8080
  kratos: http://127.0.0.1:4433
  rules:
    - { path: /public/**, access: public }
    - { path: /admin, aal: aal2 }
    - { path: / }
  headers:
    X-User-Id: identity.id
    X-User-Email: identity.traits.email
    X-User-Role: identity.metadata_public.role
  jwt: { header: Authorization, ttl: 5m }`;

const parse = (args: string[]) =>
  flags(() =>
    parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        upstream: { type: 'string' },
        kratos: { type: 'string' },
        'browser-url': { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        config: { type: 'string' },
        'trust-proxy': { type: 'string' },
        'upstream-timeout': { type: 'string' },
        'cache-ttl': { type: 'string' },
        'forward-session-cookie': { type: 'boolean' },
        'shutdown-timeout': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values,
  );

function durationFlag(name: string, value: string | undefined): string | undefined {
  if (value !== undefined && parseDuration(value) === undefined) throw usageError(`--${name} ${JSON.stringify(value)} is not a duration. Use for example 500ms, 30s or 2m.`);
  return value;
}

/** Merges the file and the flags into gate options (flags win). */
function gateOptions(values: ReturnType<typeof parse>, file: GateFileConfig): { options: AuthGateOptions; host: string; port: number; shutdownMs: number } {
  const port = portFlag('port', values.port) ?? file.port ?? 4455;
  const cacheTtl = durationFlag('cache-ttl', values['cache-ttl']);
  const shutdown = durationFlag('shutdown-timeout', values['shutdown-timeout']) ?? file.shutdownTimeout ?? '10s';
  const options: AuthGateOptions = {
    upstream: values.upstream ?? file.upstream ?? '',
    ...(values.kratos ?? file.kratos ? { publicUrl: values.kratos ?? file.kratos } : {}),
    ...(values['browser-url'] ?? file.browserUrl ? { browserUrl: values['browser-url'] ?? file.browserUrl } : {}),
    ...(file.rules ? { rules: file.rules as unknown as AuthGateOptions['rules'] } : {}),
    ...(file.headers !== undefined ? { headers: file.headers } : {}),
    ...(file.jwt !== undefined ? { jwt: file.jwt as AuthGateOptions['jwt'] } : {}),
    ...(values['forward-session-cookie'] ? { stripSessionCookie: false } : file.stripSessionCookie !== undefined ? { stripSessionCookie: file.stripSessionCookie } : {}),
    ...(file.stripHeaders ? { stripHeaders: file.stripHeaders } : {}),
    ...(values['trust-proxy'] ?? file.trustedProxies ? { trustedProxies: values['trust-proxy']?.split(',').map((s) => s.trim()) ?? file.trustedProxies } : {}),
    ...(durationFlag('upstream-timeout', values['upstream-timeout']) ?? file.upstreamTimeout ? { upstreamTimeout: values['upstream-timeout'] ?? file.upstreamTimeout } : {}),
    ...(file.timeout !== undefined ? { timeout: file.timeout } : {}),
    ...(cacheTtl ? { cache: { ttl: cacheTtl } } : file.cache !== undefined ? { cache: file.cache } : {}),
    ...(file.allowedReturnUrls ? { allowedReturnUrls: file.allowedReturnUrls } : {}),
    ...(file.sessionCookieName ? { sessionCookieName: file.sessionCookieName } : {}),
  };
  if (!options.upstream) throw usageError('--upstream is required (or upstream: in the --config file), for example --upstream http://127.0.0.1:8080.');
  return { options, host: values.host ?? file.host ?? '127.0.0.1', port, shutdownMs: parseDuration(shutdown)! };
}

function logPath(req: IncomingMessage): string {
  try {
    return parseTarget(req.url).rawPath;
  } catch {
    return '(malformed)';
  }
}

async function run(args: string[], io: CliIo): Promise<number> {
  const values = parse(args);
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  let settings: ReturnType<typeof gateOptions>;
  let gate: ReturnType<typeof authGate>;
  try {
    settings = gateOptions(values, values.config ? loadGateConfig(values.config) : {});
    gate = authGate(settings.options);
  } catch (err) {
    if (err instanceof GateConfigFileError || err instanceof KratosConfigError) {
      io.stderr(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const log = (entry: Record<string, unknown>) => io.stdout(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
  let closing = false;
  const upgraded = new Set<Socket>();

  const server = createServer(function gateServer(req: IncomingMessage, res: ServerResponse) {
    const started = process.hrtime.bigint();
    res.on('close', () => {
      log({
        level: 'info',
        msg: 'request',
        method: req.method,
        path: logPath(req),
        status: res.statusCode,
        duration_ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        identity: gate.sessionOf(req)?.identity?.id ?? null,
        ...(res.writableFinished ? {} : { aborted: true }),
      });
    });
    if (closing) {
      res.writeHead(503, { connection: 'close', 'content-type': 'application/json', 'retry-after': '1' });
      return void res.end(JSON.stringify({ error: { code: 503, status: 'Service Unavailable', message: 'The gate is shutting down.' } }));
    }
    gate(req, res);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (closing) return void socket.destroy();
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    log({ level: 'info', msg: 'upgrade', method: req.method, path: logPath(req) });
    gate.upgrade(req, socket, head);
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(settings.port, settings.host, () => resolve());
    });
  } catch (err) {
    io.stderr(`kratos-express gate: cannot listen on ${settings.host}:${settings.port} (${(err as Error).message}). Choose another --port or --host.\n`);
    await closeSharedContexts();
    return 1;
  }
  const { port } = server.address() as { port: number };
  const hostForUrl = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  log({ level: 'info', msg: 'listening', url: `http://${hostForUrl}:${port}`, upstream: settings.options.upstream });

  return new Promise<number>((resolve) => {
    io.onStop((signal) => {
      closing = true;
      log({ level: 'info', msg: 'shutting down', signal });
      const force = setTimeout(() => {
        log({ level: 'warn', msg: 'shutdown timeout: closing remaining connections' });
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
      }, settings.shutdownMs);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        void closeSharedContexts().then(() => {
          log({ level: 'info', msg: 'stopped' });
          resolve(0);
        });
      });
      server.closeIdleConnections();
      for (const socket of upgraded) socket.end();
    });
  });
}

export const gateCommand: Command = {
  summary: 'run the auth gate: a Kratos session check in front of any HTTP service',
  usage: USAGE,
  run,
};
