import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type CliIo } from '../../lib/cli/main';

const RUNNER = join(__dirname, 'cli-runner.js');

function start(args: string[]): { child: ChildProcess; output: () => string; errors: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [RUNNER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, errors: () => err, exit };
}

async function waitFor(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function captureIo(): CliIo & { out: string; err: string } {
  const io = { out: '', err: '', stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t), onStop: () => undefined };
  return io;
}

describe('kratos-express CLI', () => {
  it('starts the emulator, prints its URLs and the config, serves requests and stops on SIGTERM', async () => {
    const cli = start(['emulator', '--port', '0', '--admin-port', '0']);
    try {
      await waitFor(() => cli.output().includes('Press Ctrl+C'), 'the start-up banner');
      const publicUrl = /public:\s+(\S+)/.exec(cli.output())![1];
      const adminUrl = /admin:\s+(\S+)/.exec(cli.output())![1];
      expect(cli.output()).toContain('config: built-in email-password');
      expect(publicUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${publicUrl}/health/alive`)).status).toBe(200);
      expect((await fetch(`${adminUrl}/admin/identities`)).status).toBe(200);
      cli.child.kill('SIGTERM');
      expect(await cli.exit).toBe(0);
      expect(cli.output()).toContain('Received SIGTERM, stopping.');
    } finally {
      cli.child.kill('SIGKILL');
    }
  });

  it('exits non-zero naming the key for an invalid kratos.yml', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kratos-cli-'));
    const file = join(dir, 'kratos.yml');
    writeFileSync(file, 'selfservice:\n  default_browser_return_url: http://a.test/\n  flows:\n    login:\n      lifespan: ten minutes\nidentity:\n  schemas:\n    - id: default\n      url: file://./missing.json\n');
    const cli = start(['emulator', '--config', file, '--port', '0', '--admin-port', '0']);
    expect(await cli.exit).toBe(1);
    expect(cli.errors()).toContain('selfservice.flows.login.lifespan: "ten minutes" is not a valid duration');
    expect(cli.errors()).toContain('identity.schemas[0].url: "file://./missing.json"');
  });

  it('answers unknown commands and options with exit code 2 and the usage', async () => {
    const a = captureIo();
    expect(await main(['nope'], a)).toBe(2);
    expect(a.err).toContain('unknown command "nope"');
    const b = captureIo();
    expect(await main(['emulator', '--bogus'], b)).toBe(2);
    expect(b.err).toContain("Unknown option '--bogus'");
    expect(b.err).toContain('Usage: kratos-express emulator');
    const c = captureIo();
    expect(await main(['emulator', '--port', 'abc'], c)).toBe(2);
    expect(c.err).toContain('--port "abc" is not a port');
    const d = captureIo();
    expect(await main([], d)).toBe(2);
    const e = captureIo();
    expect(await main(['--help'], e)).toBe(0);
    expect(e.out).toContain('emulator');
    const f = captureIo();
    expect(await main(['emulator', '--help'], f)).toBe(0);
    expect(f.out).toContain('--base-url');
  });

  it('keeps the config base_url and uses its port when --port is not given', async () => {
    const io = captureIo();
    let stop: (s: string) => void = () => undefined;
    io.onStop = (handler) => {
      stop = handler;
    };
    const dir = mkdtempSync(join(tmpdir(), 'kratos-cli-'));
    const file = join(dir, 'kratos.yml');
    writeFileSync(
      file,
      'serve:\n  public:\n    base_url: http://127.0.0.1:0/\nselfservice:\n  default_browser_return_url: http://a.test/\nidentity:\n  schemas:\n    - id: default\n      url: file://./s.json\n',
    );
    writeFileSync(join(dir, 's.json'), JSON.stringify({ type: 'object', properties: { traits: { type: 'object' } } }));
    const running = main(['emulator', '--config', file, '--admin-port', '0'], io);
    await waitFor(() => io.out.includes('Press Ctrl+C'), 'the banner');
    expect(io.out).toContain('base_url: http://127.0.0.1:0/');
    stop('SIGINT');
    expect(await running).toBe(0);
  });
});
