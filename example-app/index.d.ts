import type { Server } from 'node:http';

/** The parts of the embedded Kratos emulator (`kratos-express/emulator`) tests of the example app use. */
export interface ExampleEmulator {
  readonly publicUrl: string;
  readonly adminUrl: string;
  readonly baseUrl: string;
  createIdentity(options: { traits: Record<string, unknown>; password?: string; verified?: boolean; totp?: boolean | string }): Promise<Record<string, unknown>>;
  messages(filter?: { recipient?: string }): Record<string, unknown>[];
  lastCode(recipient: string): string | undefined;
  totpCode(identityId: string): string;
  close(): Promise<void>;
}

export interface ExampleApp {
  /** `http://127.0.0.1:<port>` */
  url: string;
  server: Server;
  /** The embedded emulator; absent when KRATOS_PUBLIC_URL is set. */
  emulator?: ExampleEmulator;
  /** The demo account created in the emulator; absent when KRATOS_PUBLIC_URL is set. */
  demo?: { email: string; password: string };
  kratos: { publicUrl: string; browserUrl: string };
  /** Stops the server, then the Kratos client pool and the emulator. */
  close(): Promise<void>;
}

export interface StartExampleAppOptions {
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Where KRATOS_PUBLIC_URL / KRATOS_BROWSER_URL are read. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export function startExampleApp(options?: StartExampleAppOptions): Promise<ExampleApp>;

/** kratos.yml's URLs moved to `origin`, as emulator overrides. */
export function originOverrides(origin: string): Record<string, unknown>;
