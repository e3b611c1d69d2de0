// The load generator of the soak (bench/soak.mjs), in a process of its own: autocannon with a fixed mix.
// Each connection cycles through MIX: 18 requests with one of the valid session cookies (round robin over
// all of them, across connections), 1 without any cookie, 1 with a bogus session cookie of Kratos' shape
// plus forged X-User-Id/X-Session-Id headers of a real session. Every answer is tallied by kind and status;
// valid answers must also name the session that was sent (the upstream echoes the gate's identity headers).
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { onRequest, send } from './ipc.mjs';

const MIX = ['valid', 'valid', 'valid', 'valid', 'valid', 'none', 'valid', 'valid', 'valid', 'valid', 'valid', 'valid', 'valid', 'valid', 'valid', 'bogus', 'valid', 'valid', 'valid', 'valid'];
const ACCEPT = 'application/json';

let sessions = [];
let cookieName = 'ory_kratos_session';

/** A cookie the emulator would issue (base64url JSON with a session token), for a session that does not exist. */
function bogusCookie() {
  const value = { session_token: `ory_st_${randomBytes(24).toString('base64url')}`, expires_at: new Date(Date.now() + 86_400_000).toISOString(), nonce: randomBytes(4).toString('hex') };
  return `${cookieName}=${Buffer.from(JSON.stringify(value)).toString('base64url')}`;
}

function run({ url, connections, amount }) {
  const tally = { valid: {}, none: {}, bogus: {} };
  let wrongIdentity = 0;
  let next = 0;
  let forged = 0;
  const count = (kind, status) => (tally[kind][status] = (tally[kind][status] ?? 0) + 1);
  const setup = {
    // context is per connection; with pipelining 1 the answer read in onResponse is the one to this request
    valid(req, context) {
      const s = sessions[next++ % sessions.length];
      context.expected = `${s.identityId} ${s.sessionId}`;
      // soak_expect (an app cookie, which the gate passes on) tells the upstream which session this is
      return { ...req, headers: { accept: ACCEPT, cookie: `soak_expect=${s.sessionId}; ${s.cookie}` } };
    },
    none(req) {
      return { ...req, headers: { accept: ACCEPT } };
    },
    bogus(req) {
      const s = sessions[forged++ % sessions.length];
      return { ...req, headers: { accept: ACCEPT, cookie: bogusCookie(), 'x-user-id': s.identityId, 'x-session-id': s.sessionId } };
    },
  };
  const requests = MIX.map((kind) => ({
    method: 'GET',
    setupRequest: setup[kind],
    onResponse(status, body, context) {
      count(kind, status);
      if (kind === 'valid' && status === 200 && body !== context.expected) wrongIdentity++;
    },
  }));
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, pipelining: 1, amount, timeout: 10, requests }, (err, result) => {
      if (err) return reject(err);
      resolve({
        duration: result.duration,
        sent: result.requests.sent,
        total: result.requests.total,
        errors: result.errors,
        timeouts: result.timeouts,
        tally,
        wrongIdentity,
        p50: result.latency.p50,
        p99: result.latency.p99,
        max: result.latency.max,
      });
    });
  });
}

onRequest(async (msg) => {
  if (msg.type === 'sessions') {
    sessions = msg.sessions;
    cookieName = msg.cookieName;
    return { count: sessions.length };
  }
  if (msg.type === 'run') return run(msg);
  throw new Error(`unknown request ${msg.type}`);
});
send({ type: 'ready' });
