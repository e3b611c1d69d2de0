// The load generator, in a process of its own: runs autocannon on request from the orchestrator.
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { onRequest, send } from './lib/ipc.mjs';

let cookies = [];

/**
 * One autocannon run; `rotate` sends a different session cookie on every request, round robin over all the
 * cookies (true) or over the first `rotate` of them (a number).
 */
function run({ url, connections, duration, amount, cookie, rotate }) {
  const headers = { accept: 'application/json' };
  if (cookie) headers.cookie = cookie;
  const options = { url, connections, pipelining: 1, headers, timeout: 10 };
  if (amount) options.amount = amount;
  else options.duration = duration;
  if (rotate) {
    let next = 0;
    const pool = typeof rotate === 'number' ? cookies.slice(0, rotate) : cookies;
    options.requests = [
      {
        method: 'GET',
        setupRequest(req) {
          req.headers = { ...headers, cookie: pool[next++ % pool.length] };
          return req;
        },
      },
    ];
  }
  return new Promise((resolve, reject) => {
    autocannon(options, (err, result) => {
      if (err) return reject(err);
      resolve({
        duration: result.duration,
        total: result.requests.total,
        ok: result['2xx'],
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        rps: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        latencyMean: result.latency.average,
      });
    });
  });
}

/**
 * `count` requests that reach the server at the same moment: `count` keep-alive connections are opened
 * first (with requests carrying no session, which need no whoami), then one request with the same session
 * cookie is written on each of them in the same tick.
 */
async function burst({ url, count, cookie }) {
  const { origin, pathname } = new URL(url);
  const pool = new Pool(origin, { connections: count, pipelining: 1 });
  try {
    const send = (headers) =>
      pool.request({ method: 'GET', path: pathname, headers }).then(async (res) => {
        await res.body.dump();
        return res.statusCode;
      });
    await Promise.all(Array.from({ length: count }, () => send({ accept: 'application/json' })));
    const connected = pool.stats.connected;
    const statuses = await Promise.all(Array.from({ length: count }, () => send({ accept: 'application/json', cookie })));
    return { connected, ok: statuses.filter((s) => s >= 200 && s < 300).length, statuses: [...new Set(statuses)] };
  } finally {
    await pool.close();
  }
}

onRequest(async (msg) => {
  if (msg.type === 'burst') return burst(msg);
  if (msg.type === 'cookies') {
    cookies = msg.cookies;
    return { count: cookies.length };
  }
  if (msg.type === 'run') return run(msg);
  throw new Error(`unknown request ${msg.type}`);
});
send({ type: 'ready' });
