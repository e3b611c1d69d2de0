// What is measured: scenarios (an app of targets.mjs plus the cookies autocannon sends) run in groups;
// the scenarios of a group are run back to back in every round, so their ratios are side by side.

/**
 * `cookies`: 'one' sends one session cookie on every request; 'rotate' a different session per request (all
 * the cookies of the run, round robin); 'mixed' a different one of the first MIXED_SESSIONS per request, so
 * that a warm cache holds them all and no connection sends the same Cookie header twice in a row (the
 * requests of many users through a proxy that shares its connections).
 */
export const MIXED_SESSIONS = 1000;

export const SCENARIOS = {
  noauth: { app: 'noauth', cookies: 'one', label: 'Express route, no auth' },
  kitCache: { app: 'kitCache', cookies: 'one', label: 'requireSession(), cache on, warm' },
  noauthTwin: { app: 'noauthTwin', cookies: 'one', label: 'Express route, no auth (a second, identical app)' },
  noopLayer: { app: 'noopLayer', cookies: 'one', label: 'Express route behind app.use((req, res, next) => next())' },
  fixedSession: { app: 'fixedSession', cookies: 'one', label: 'Express route behind a middleware attaching a fixed session' },
  kitDistinct: { app: 'kitNoCache', cookies: 'rotate', label: 'requireSession(), no cache, distinct sessions' },
  rawUndici: { app: 'rawUndici', cookies: 'rotate', label: 'raw undici Pool.request + JSON.parse, distinct sessions' },
  docsSdk: { app: 'docsSdk', cookies: 'rotate', label: "Ory docs: FrontendApi.toSession(), distinct sessions" },
  noauthMixed: { app: 'noauth', cookies: 'mixed', label: `Express route, no auth (${MIXED_SESSIONS} sessions round robin)` },
  kitCacheMixed: { app: 'kitCache', cookies: 'mixed', label: `requireSession(), cache on, warm, ${MIXED_SESSIONS} sessions round robin` },
  proxy: { app: 'proxy', cookies: 'one', label: 'createProxyMiddleware to hello-world upstream' },
  proxyKeepAlive: { app: 'proxyKeepAlive', cookies: 'one', label: 'createProxyMiddleware with a keep-alive agent' },
  gate: { app: 'gate', cookies: 'one', label: 'authGate(), cache on, to hello-world upstream' },
};

/** What load.mjs rotates over for a scenario: false (its one cookie), true (all cookies) or a count of the first. */
export const rotation = (scenario) => (scenario.cookies === 'mixed' ? MIXED_SESSIONS : scenario.cookies === 'rotate');

export const GROUPS = [
  ['noauth', 'kitCache', 'noopLayer', 'fixedSession', 'noauthTwin'],
  ['kitDistinct', 'rawUndici', 'docsSdk'],
  ['gate', 'proxy', 'proxyKeepAlive'],
  ['kitCacheMixed', 'noauthMixed'],
];

/** Judged: subject/baseline >= target. Without a target a ratio is reported only. */
export const RATIOS = [
  { name: 'cache warm vs no auth', subject: 'kitCache', baseline: 'noauth', target: 0.9 },
  { name: '(reported) identical twin vs no auth: the noise floor', subject: 'noauthTwin', baseline: 'noauth' },
  { name: '(reported) no-op app.use layer vs no auth', subject: 'noopLayer', baseline: 'noauth' },
  { name: '(reported) cache warm vs no-op app.use layer', subject: 'kitCache', baseline: 'noopLayer' },
  { name: '(reported) fixed session attached vs no auth', subject: 'fixedSession', baseline: 'noauth' },
  { name: '(reported) cache warm vs fixed session attached', subject: 'kitCache', baseline: 'fixedSession' },
  { name: '(reported) cache warm, mixed sessions vs no auth', subject: 'kitCacheMixed', baseline: 'noauthMixed' },
  { name: 'no cache vs raw undici', subject: 'kitDistinct', baseline: 'rawUndici', target: 0.9 },
  { name: 'no cache vs Ory docs pattern', subject: 'kitDistinct', baseline: 'docsSdk', target: 1.8 },
  { name: 'authGate vs bare proxy', subject: 'gate', baseline: 'proxy', target: 0.85 },
];

/** Apps hit with N concurrent requests carrying one cookie; `max` is the most whoami calls allowed. */
export const CONCURRENCY = [
  { name: 'requireSession(), no cache', app: 'kitNoCache', max: 5 },
  { name: 'Ory docs pattern', app: 'docsSdk' },
];
