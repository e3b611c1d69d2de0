#!/usr/bin/env node
import { emulatorCommand } from './emulator';
import { gateCommand } from './gate';

/** Where a command writes and how it learns that it should stop (injectable for tests). */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Calls `handler` once on SIGINT or SIGTERM. */
  onStop(handler: (signal: string) => void): void;
}

export interface Command {
  summary: string;
  usage: string;
  /** Resolves with the exit code. */
  run(args: string[], io: CliIo): Promise<number>;
}

/** A bad command line: commands throw an error with `code: 'CLI_USAGE'`; it is reported with the usage and exit code 2. */
export const isUsageError = (err: unknown): err is Error => (err as { code?: unknown } | null)?.code === 'CLI_USAGE';

export function defaultIo(): CliIo {
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    onStop(handler) {
      const once = (signal: NodeJS.Signals) => {
        process.off('SIGINT', once);
        process.off('SIGTERM', once);
        handler(signal);
      };
      process.on('SIGINT', once);
      process.on('SIGTERM', once);
    },
  };
}

/** Subcommands by name; a new one is one line here plus its own file. */
export const COMMANDS: Record<string, Command> = {
  emulator: emulatorCommand,
  gate: gateCommand,
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'Usage: kratos-express <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Run kratos-express <command> --help for the options of a command.',
    '',
  ].join('\n');
}

/** Runs the CLI; resolves with the exit code (long-running commands resolve when they stop). */
export async function main(argv: string[] = process.argv.slice(2), io: CliIo = defaultIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout)(help());
    return name === undefined ? 2 : 0;
  }
  const command = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.stderr(`kratos-express: unknown command ${JSON.stringify(name)}. Commands: ${Object.keys(COMMANDS).join(', ')}.\n\n${help()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (isUsageError(err)) {
      io.stderr(`kratos-express ${name}: ${err.message}\n\n${command.usage}\n`);
      return 2;
    }
    io.stderr(`kratos-express ${name}: ${(err as Error).message ?? String(err)}\n`);
    return 1;
  }
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
