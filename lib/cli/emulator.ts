import { parseArgs } from 'node:util';
import { createKratosEmulator } from '../emulator';
import { EmulatorConfigError, loadEmulatorConfig } from '../emulator/config';
import { flags, portFlag } from './args';
import type { CliIo, Command } from './main';

const USAGE = `Usage: kratos-express emulator [options]

Runs the in-memory Kratos emulator (public and admin API) until SIGINT/SIGTERM.

Options:
  --config <file>       kratos.yml to read (default: built-in email-password quickstart)
  --port <n>            public port (default: the port of serve.public.base_url, 4433)
  --admin-port <n>      admin port (default: 4434)
  --host <host>         interface to listen on (default: 127.0.0.1)
  --base-url <url>      serve.public.base_url override (e.g. behind a proxy)
  -h, --help            show this help`;

const parse = (args: string[]) =>
  flags(() =>
    parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        port: { type: 'string' },
        'admin-port': { type: 'string' },
        host: { type: 'string' },
        'base-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values,
  );

async function run(args: string[], io: CliIo): Promise<number> {
  const values = parse(args);
  if (values.help) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  let publicPort = portFlag('port', values.port);
  const adminPort = portFlag('admin-port', values['admin-port']) ?? 4434;
  const keepConfigBaseUrl = publicPort === undefined;
  try {
    if (publicPort === undefined) {
      const config = loadEmulatorConfig({ config: values.config, baseUrl: values['base-url'] });
      const u = new URL(config.rawBaseUrl);
      publicPort = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    }
    const kratos = await createKratosEmulator({ config: values.config, host: values.host, port: publicPort, adminPort, baseUrl: values['base-url'], keepConfigBaseUrl });
    io.stdout(
      [
        `Kratos emulator (Kratos v1.3 API), config: ${kratos.config.source}`,
        `  public:   ${kratos.publicUrl}`,
        `  admin:    ${kratos.adminUrl}`,
        `  base_url: ${kratos.baseUrl}`,
        'Press Ctrl+C to stop.',
        '',
      ].join('\n'),
    );
    return await new Promise<number>((resolve) => {
      io.onStop((signal) => {
        io.stdout(`Received ${signal}, stopping.\n`);
        void kratos.close().then(() => resolve(0));
      });
    });
  } catch (err) {
    if (err instanceof EmulatorConfigError) {
      io.stderr(`${err.message}\n`);
      return 1;
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') {
      io.stderr(`kratos-express emulator: cannot listen (${e.message}). Choose other ports with --port and --admin-port.\n`);
      return 1;
    }
    throw err;
  }
}

export const emulatorCommand: Command = {
  summary: 'run the in-memory Kratos emulator (public + admin API)',
  usage: USAGE,
  run,
};
