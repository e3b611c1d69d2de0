import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { startEmulator, type TestEmulator } from '../helpers/emulator';
import { readRest, startUpstream, type Upstream } from '../helpers/upstream';

const root = resolve(__dirname, '../..');
const cli = join(root, 'dist/cjs/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'gate-cli-'));

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** Compiles lib/ into dist/cjs when the build is missing or older than the sources (npm test builds first anyway). */
function ensureBuilt(): void {
  if (existsSync(join(root, 'dist/cjs/cli/gate.js')) && newest(join(root, 'dist/cjs')) >= newest(join(root, 'lib'))) return;
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'pipe' });
  } catch {
    // type errors elsewhere in lib/ still emit JavaScript; the spawn below fails loudly if gate.js is missing
  }
}

interface Running {
  child: ChildProcessWithoutNullStreams;
  url: string;
  lines: Array<Record<string, unknown>>;
  exit: Promise<number | null>;
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, KRATOS_PUBLIC_URL: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('exit', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

function startGate(args: string[]): Promise<Running> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, 'gate', '--port', '0', ...args]);
    const lines: Array<Record<string, unknown>> = [];
    let buffer = '';
    let stderr = '';
    const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const timer = setTimeout(() => reject(new Error(`gate did not start: ${stderr}`)), 15_000);
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.stdout.on('data', (c: Buffer) => {
      buffer += c;
      let nl;
      while ((nl = buffer.indexOf('\n')) !== -1) {
        const line = JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>;
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        if (line.msg === 'listening') {
          clearTimeout(timer);
          resolvePromise({ child, url: String(line.url), lines, exit });
        }
      }
    });
    void exit.then((code) => reject(new Error(`gate exited with ${code}: ${stderr}`)));
  });
}

let kratos: TestEmulator;
let upstream: Upstream;
let user: { id: string; cookie: string; token: string };

beforeAll(async () => {
  ensureBuilt();
  kratos = await startEmulator();
  upstream = await startUpstream();
  const identity = await kratos.createIdentity({ traits: { email: 'cli@example.com' }, password: 'a-long-enough-password-1' });
  const session = await kratos.createSession(identity.id as string);
  user = { id: identity.id as string, cookie: session.cookie, token: session.token };
}, 120_000);
afterAll(async () => {
  await upstream.close();
  await kratos.close();
});

describe('kratos-express gate: command line', () => {
  it('prints its help with --help and exits 0', async () => {
    const result = await run(['gate', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: kratos-express gate --upstream <url>/);
    expect(result.stdout).toMatch(/--config <file>/);
  });

  it('is listed by the main help', async () => {
    const result = await run(['--help']);
    expect(result.stdout).toMatch(/gate\s+run the auth gate/);
  });

  it('exits 2 naming --upstream when it is missing', async () => {
    const result = await run(['gate', '--kratos', kratos.publicUrl]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--upstream is required/);
  });

  it('exits 2 for an unknown flag or a bad duration', async () => {
    expect((await run(['gate', '--upstreams', 'x'])).code).toBe(2);
    const bad = await run(['gate', '--upstream', upstream.url, '--cache-ttl', 'forever']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--cache-ttl "forever" is not a duration/);
  });

  it('exits 1 listing every problem of a configuration file, each naming the key', async () => {
    const file = join(dir, 'bad.yml');
    writeFileSync(file, ['upstream: http://127.0.0.1:1', 'rules:', '  - { path: /a, access: open }', '  - { path: /b, acess: public }', 'jwt: { algorithm: HS256 }', 'portt: 3'].join('\n'));
    const result = await run(['gate', '--config', file, '--kratos', kratos.publicUrl]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/rules\[0\]\.access: must be one of public, session, deny\./);
    expect(result.stderr).toMatch(/rules\[1\]\.acess: unknown key\. Did you mean access\?/);
    expect(result.stderr).toMatch(/portt: unknown key\. Did you mean port\?/);
    expect(result.stderr).toMatch(/jwt/);
  });

  it('exits 1 when the options are invalid for the gate', async () => {
    const result = await run(['gate', '--upstream', 'not-a-url', '--kratos', kratos.publicUrl]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/upstream: "not-a-url" is not an http\(s\) URL/);
  });
});

describe('kratos-express gate: serving', () => {
  let gate: Running;

  beforeAll(async () => {
    const file = join(dir, 'gate.json');
    writeFileSync(file, JSON.stringify({ rules: [{ path: '/public/**', access: 'public' }, { path: '/' }], headers: { 'X-User-Id': 'identity.id', 'X-User-Email': 'identity.traits.email' } }));
    gate = await startGate(['--upstream', upstream.url, '--kratos', kratos.publicUrl, '--config', file]);
  });
  afterAll(async () => {
    if (gate.child.exitCode === null) {
      gate.child.kill('SIGKILL');
      await gate.exit;
    }
  });

  it('forwards a request with a session with identity headers and logs it as one JSON line without credentials', async () => {
    const res = await fetch(`${gate.url}/reports?secret=q`, { headers: { cookie: user.cookie, 'x-user-id': 'forged' } });
    expect(res.status).toBe(200);
    const seen = (await res.json()) as { headers: Record<string, string> };
    expect(seen.headers['x-user-id']).toBe(user.id);
    expect(seen.headers['x-user-email']).toBe('cli@example.com');
    expect(seen.headers.cookie).toBeUndefined();
    const deadline = Date.now() + 5000;
    while (!gate.lines.some((l) => l.path === '/reports') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const line = gate.lines.find((l) => l.path === '/reports')!;
    expect(line).toMatchObject({ level: 'info', msg: 'request', method: 'GET', path: '/reports', status: 200, identity: user.id });
    expect(typeof line.duration_ms).toBe('number');
    const raw = JSON.stringify(gate.lines);
    expect(raw).not.toContain(user.cookie.split('=')[1]);
    expect(raw).not.toContain('secret=q');
  });

  it('passes the session cookie upstream only with --forward-session-cookie', async () => {
    const forwarding = await startGate(['--upstream', upstream.url, '--kratos', kratos.publicUrl, '--forward-session-cookie']);
    try {
      const res = await fetch(`${forwarding.url}/reports`, { headers: { cookie: `theme=dark; ${user.cookie}` } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { headers: Record<string, string> }).headers.cookie).toBe(`theme=dark; ${user.cookie}`);
    } finally {
      forwarding.child.kill('SIGTERM');
      await forwarding.exit;
    }
  });

  it('answers API callers without a session 401 and lets public paths through', async () => {
    const denied = await fetch(`${gate.url}/reports`, { headers: { accept: 'application/json' } });
    expect(denied.status).toBe(401);
    expect(((await denied.json()) as { error: { code: number } }).error.code).toBe(401);
    const open = await fetch(`${gate.url}/public/a.css`);
    expect(open.status).toBe(200);
    await open.arrayBuffer();
  });

  it('proxies websockets with a session and refuses them without', async () => {
    const ws = new WebSocket(`${gate.url.replace('http', 'ws')}/ws`, { headers: { cookie: user.cookie } });
    const first = await new Promise<{ headers: Record<string, string> }>((r, j) => {
      ws.once('message', (d) => r(JSON.parse(String(d))));
      ws.once('error', j);
    });
    expect(first.headers['x-user-id']).toBe(user.id);
    ws.close();
    const refused = await new Promise<number>((r) => {
      const anonymous = new WebSocket(`${gate.url.replace('http', 'ws')}/ws`);
      anonymous.once('unexpected-response', (_req, res) => r(res.statusCode ?? 0));
      anonymous.once('error', () => r(-1));
    });
    expect(refused).toBe(401);
  });

  it('on SIGTERM refuses new connections, lets the request in flight finish, then exits 0', async () => {
    const res = await fetch(`${gate.url}/sse`, { headers: { cookie: user.cookie } });
    const reader = res.body!.getReader();
    expect(Buffer.from((await reader.read()).value!).toString()).toBe('data: first\n\n');
    gate.child.kill('SIGTERM');
    const deadline = Date.now() + 5000;
    while (!gate.lines.some((l) => l.msg === 'shutting down') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await expect(fetch(`${gate.url}/reports`, { headers: { cookie: user.cookie } })).rejects.toThrow();
    expect(gate.child.exitCode).toBeNull();
    upstream.endSse();
    expect(await readRest(reader)).toBe('data: last\n\n');
    expect(await gate.exit).toBe(0);
    expect(gate.lines.at(-1)).toMatchObject({ msg: 'stopped' });
  });
});
