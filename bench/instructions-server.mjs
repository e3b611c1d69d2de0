// One server of bench/instructions.mjs (run under callgrind) and bench/paired.mjs (pinned to a CPU), one
// route per process (BENCH_ROUTE), so that the garbage collection a route causes is paid in its own
// process: the /hello route with no auth, behind a no-op layer, behind a middleware attaching a fixed
// session (the kit's answer without any check), or behind requireSession() with the cache on from the build
// in BENCH_KIT_DIR.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { onRequest, send } from './lib/ipc.mjs';
import { activeSession, attachFixed, helloApp, serveApps } from './lib/routes.mjs';

const require = createRequire(import.meta.url);
const publicUrl = process.env.BENCH_KRATOS_URL;
const cookie = process.env.BENCH_COOKIE;
const options = { publicUrl, cache: { ttl: '5m' } };
const kit = require(join(process.env.BENCH_KIT_DIR, 'index.js'));

// the session the kit attaches, taken from a check of the same cookie, so both routes answer the same bytes
const fixed = await activeSession(kit.createContext(options), cookie);

const apps = {
  noauth: () => helloApp(),
  noop: () => helloApp((req, res, next) => next()),
  fixedSession: () => helloApp(attachFixed(fixed)),
  kit: () => helloApp(kit.requireSession(options)),
};
const route = process.env.BENCH_ROUTE;
if (!apps[route]) throw new Error(`BENCH_ROUTE: ${route} is not one of ${Object.keys(apps).join(', ')}`);
const { urls } = await serveApps({ [route]: apps[route]() });
// takes no requests; registering also ends this process when the orchestrator goes
onRequest((msg) => {
  throw new Error(`unknown request ${msg.type}`);
});
process.on('SIGTERM', () => process.exit(0));
send({ type: 'ready', url: urls[route] });
