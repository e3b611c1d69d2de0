import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { EchoedRequest } from '../helpers/upstream';
import type { TestEmulator } from '../helpers/emulator';

export const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** Starts a plain `http` server on loopback with a free port. */
export async function listen(handler: RequestListener): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer(handler);
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An identity with a session in the emulator; returns its id and session cookie / token. */
export async function signedIn(kratos: TestEmulator, email: string, extra: { metadataPublic?: unknown; aal?: 'aal1' | 'aal2'; totp?: boolean } = {}) {
  const identity = await kratos.createIdentity({ traits: { email }, password: 'a-long-enough-password-1', metadataPublic: extra.metadataPublic, totp: extra.totp });
  const created = await kratos.createSession(identity.id as string, { aal: extra.aal });
  return { id: identity.id as string, sessionId: created.session.id as string, cookie: created.cookie, token: created.token };
}

/** Number of whoami calls the emulator answered so far. */
export const whoamiCalls = (kratos: TestEmulator): number =>
  Object.entries(kratos.stats()).filter(([route]) => route.includes('whoami')).reduce((sum, [, n]) => sum + n, 0);

/** The echoed request of a body of the upstream echo server. */
export const echoed = (body: unknown): EchoedRequest => body as EchoedRequest;

/** Whether a header name reached the upstream in any spelling. */
export const hasHeader = (req: EchoedRequest, name: string): boolean => {
  const norm = (n: string) => n.toLowerCase().replace(/_/g, '-');
  return req.rawHeaderNames.some((raw) => norm(raw) === norm(name));
};

export type { IncomingMessage };
