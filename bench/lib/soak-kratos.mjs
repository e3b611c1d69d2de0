// The Kratos side and the service behind the gate of the soak (bench/soak.mjs), in one child process:
// createKratosEmulator() from the build with SOAK_SESSIONS identities and one session each, and a
// hello-world upstream that checks, for every request it receives, that it carries the identity the gate
// sets for the session it came with (named by the load's soak_expect cookie, which the gate passes on) and
// never the session credential itself (the gate strips it by default). Counters over IPC.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { onRequest, send } from './ipc.mjs';

const { createKratosEmulator } = createRequire(import.meta.url)(join(process.env.BENCH_KIT_DIR, 'emulator', 'index.js'));
const count = Number(process.env.SOAK_SESSIONS ?? 200);

/** whoami answers of the emulator by status: 200 for the sessions, 401 for bogus cookies. */
const whoami = {};
const onResponse = (event) => {
  if (event.server === 'public' && event.path === '/sessions/whoami') whoami[event.status] = (whoami[event.status] ?? 0) + 1;
};
const kratos = await createKratosEmulator({ onResponse });
const cookieName = kratos.sessionCookieName;

const sessions = [];
for (let i = 0; i < count; i++) {
  const identity = await kratos.createIdentity({ traits: { email: `soak-${i}@example.com` } });
  const { cookie, session } = await kratos.createSession(identity.id);
  sessions.push({ cookie, identityId: identity.id, sessionId: session.id });
}
/** session id => the identity and session the gate must name upstream */
const bySessionId = new Map(sessions.map((s) => [s.sessionId, s]));
const identityIds = new Set(sessions.map((s) => s.identityId));

function cookieValue(header, name) {
  if (!header) return undefined;
  for (const pair of String(header).split(';')) {
    const at = pair.indexOf('=');
    if (pair.slice(0, at).trim() === name) return pair.slice(at + 1).trim();
  }
  return undefined;
}

/**
 * received: every request that reached the upstream.
 * withSession: carried a valid session cookie and the X-User-Id and X-Session-Id of exactly that session.
 * withoutSession: no valid session cookie, or an X-User-Id that is none of the valid identities.
 * wrongIdentity: a valid session cookie, but the identity headers of another session (or none).
 * withCredential: the session cookie itself reached the upstream.
 */
const upstreamCounts = { received: 0, withSession: 0, withoutSession: 0, wrongIdentity: 0, withCredential: 0 };
const upstream = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  upstreamCounts.received++;
  const userId = req.headers['x-user-id'];
  const sessionId = req.headers['x-session-id'];
  const expected = bySessionId.get(cookieValue(req.headers.cookie, 'soak_expect'));
  if (cookieValue(req.headers.cookie, cookieName) !== undefined) upstreamCounts.withCredential++;
  if (!expected || !identityIds.has(userId)) upstreamCounts.withoutSession++;
  else if (userId !== expected.identityId || sessionId !== expected.sessionId) upstreamCounts.wrongIdentity++;
  else upstreamCounts.withSession++;
  // the load generator compares this with the session it sent
  const body = `${userId ?? '-'} ${sessionId ?? '-'}`;
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
});
const upstreamPort = await new Promise((resolve) => upstream.listen(0, '127.0.0.1', () => resolve(upstream.address().port)));

onRequest((msg) => {
  if (msg.type === 'stats') return { upstream: { ...upstreamCounts }, whoami: { ...whoami } };
  throw new Error(`unknown request ${msg.type}`);
});
process.on('SIGTERM', () => {
  upstream.closeAllConnections();
  upstream.close();
  kratos.close().then(() => process.exit(0), () => process.exit(1));
});
send({ type: 'ready', kratosUrl: kratos.publicUrl, upstreamUrl: `http://127.0.0.1:${upstreamPort}`, cookieName, sessions });
