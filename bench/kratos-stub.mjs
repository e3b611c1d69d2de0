// The Kratos side of the benchmark, reduced to its minimum so that the kit is what gets measured: a
// keep-alive node:http server answering GET /sessions/whoami with a fixed session body of the shape the
// kit's emulator (and Kratos v1.3) returns, plus a hello-world upstream for the proxy scenarios.
// Runs as a child process; reports its ports and call counters over IPC.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { onRequest, reply, send } from './lib/ipc.mjs';

const COOKIE_NAME = 'ory_kratos_session';
const UNAUTHORIZED = JSON.stringify({
  error: { code: 401, status: 'Unauthorized', reason: 'No valid session credentials found in the request.', message: 'The request could not be authorized' },
});
const counts = { whoami: 0, whoamiUnauthorized: 0, upstream: 0, kratosConnections: 0, upstreamConnections: 0 };

const uuidOf = (kind, value) => {
  const h = createHash('md5').update(kind).update(value).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

const now = Date.now();
const iso = (offset) => new Date(now + offset).toISOString();

/** One realistic whoami body; ids are derived from the credential so that distinct cookies are distinct sessions. */
function sessionBody(sessionId, identityId, email) {
  return JSON.stringify({
    id: sessionId,
    active: true,
    expires_at: iso(24 * 3600_000),
    authenticated_at: iso(-60_000),
    authenticator_assurance_level: 'aal1',
    authentication_methods: [{ method: 'password', aal: 'aal1', completed_at: iso(-60_000) }],
    issued_at: iso(-60_000),
    identity: {
      id: identityId,
      schema_id: 'default',
      schema_url: 'http://127.0.0.1:4433/schemas/ZGVmYXVsdA',
      state: 'active',
      state_changed_at: iso(-3600_000),
      traits: { email, name: { first: 'Bench', last: 'Mark' } },
      verifiable_addresses: [
        { id: uuidOf('va', identityId), value: email, verified: true, via: 'email', status: 'completed', verified_at: iso(-3600_000), created_at: iso(-3600_000), updated_at: iso(-3600_000) },
      ],
      recovery_addresses: [{ id: uuidOf('ra', identityId), value: email, via: 'email', created_at: iso(-3600_000), updated_at: iso(-3600_000) }],
      metadata_public: null,
      created_at: iso(-3600_000),
      updated_at: iso(-3600_000),
      organization_id: null,
    },
    devices: [{ id: uuidOf('dev', sessionId), ip_address: '127.0.0.1', user_agent: 'autocannon', location: '' }],
  });
}

function credentialOf(req) {
  const token = req.headers['x-session-token'];
  if (token) return token;
  const cookie = req.headers.cookie;
  if (cookie) {
    const at = cookie.indexOf(`${COOKIE_NAME}=`);
    if (at >= 0) {
      const end = cookie.indexOf(';', at);
      return cookie.slice(at + COOKIE_NAME.length + 1, end < 0 ? undefined : end);
    }
  }
  const auth = req.headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7) : undefined;
}

const MAX_ANSWERS = 50_000;
const answers = new Map();

const kratos = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  if (req.url !== '/sessions/whoami' && !req.url.startsWith('/sessions/whoami?')) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":404,"status":"Not Found"}}');
    return;
  }
  const credential = credentialOf(req);
  if (!credential) {
    counts.whoamiUnauthorized++;
    res.writeHead(401, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'private, no-cache, no-store, must-revalidate' }).end(UNAUTHORIZED);
    return;
  }
  counts.whoami++;
  let answer = answers.get(credential);
  if (!answer) {
    const sessionId = uuidOf('session', credential);
    const identityId = uuidOf('identity', credential);
    answer = { identityId, body: sessionBody(sessionId, identityId, `user-${identityId.slice(0, 8)}@example.com`) };
    if (answers.size >= MAX_ANSWERS) answers.clear();
    answers.set(credential, answer);
  }
  const { identityId, body } = answer;
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'private, no-cache, no-store, must-revalidate',
    vary: 'Cookie',
    'x-kratos-authenticated-identity-id': identityId,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
});

const HELLO = 'hello world\n';
const upstream = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  counts.upstream++;
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': HELLO.length }).end(HELLO);
});

kratos.on('connection', () => counts.kratosConnections++);
upstream.on('connection', () => counts.upstreamConnections++);

const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
const [kratosPort, upstreamPort] = await Promise.all([listen(kratos), listen(upstream)]);

onRequest((msg) => {
  if (msg.type === 'stats') reply(msg, { ...counts });
});
send({ type: 'ready', kratosUrl: `http://127.0.0.1:${kratosPort}`, upstreamUrl: `http://127.0.0.1:${upstreamPort}`, sessionCookieName: COOKIE_NAME });
