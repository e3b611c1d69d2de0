// What is measured: scenarios (an app of targets.mjs plus the cookies autocannon sends) run in groups;
// the scenarios of a group are run back to back in every round, so their ratios are side by side.

/** `cookies`: 'one' sends one session cookie on every request; 'rotate' a different session per request. */
export const SCENARIOS = {
  noauth: { app: 'noauth', cookies: 'one', label: 'Express route, no auth' },
  kitCache: { app: 'kitCache', cookies: 'one', label: 'requireSession(), cache on, warm' },
  noauthTwin: { app: 'noauthTwin', cookies: 'one', label: 'Express route, no auth (a second, identical app)' },
  noopLayer: { app: 'noopLayer', cookies: 'one', label: 'Express route behind app.use((req, res, next) => next())' },
  fixedSession: { app: 'fixedSession', cookies: 'one', label: 'Express route behind a middleware attaching a fixed session' },
  kitDistinct: { app: 'kitNoCache', cookies: 'rotate', label: 'requireSession(), no cache, distinct sessions' },
  rawUndici: { app: 'rawUndici', cookies: 'rotate', label: 'raw undici Pool.request + JSON.parse, distinct sessions' },
  docsSdk: { app: 'docsSdk', cookies: 'rotate', label: "Ory docs: FrontendApi.toSession(), distinct sessions" },
  proxy: { app: 'proxy', cookies: 'one', label: 'createProxyMiddleware to hello-world upstream' },
  proxyKeepAlive: { app: 'proxyKeepAlive', cookies: 'one', label: 'createProxyMiddleware with a keep-alive agent' },
  gate: { app: 'gate', cookies: 'one', label: 'authGate(), cache on, to hello-world upstream' },
};

export const GROUPS = [
  ['noauth', 'kitCache', 'noopLayer', 'fixedSession', 'noauthTwin'],
  ['kitDistinct', 'rawUndici', 'docsSdk'],
  ['gate', 'proxy', 'proxyKeepAlive'],
];

/** Judged: subject/baseline >= target. Without a target a ratio is reported only. */
export const RATIOS = [
  { name: 'cache warm vs no auth', subject: 'kitCache', baseline: 'noauth', target: 0.9 },
  { name: '(reported) identical twin vs no auth: the noise floor', subject: 'noauthTwin', baseline: 'noauth' },
  { name: '(reported) no-op app.use layer vs no auth', subject: 'noopLayer', baseline: 'noauth' },
  { name: '(reported) cache warm vs no-op app.use layer', subject: 'kitCache', baseline: 'noopLayer' },
  { name: '(reported) fixed session attached vs no auth', subject: 'fixedSession', baseline: 'noauth' },
  { name: '(reported) cache warm vs fixed session attached', subject: 'kitCache', baseline: 'fixedSession' },
  { name: 'no cache vs raw undici', subject: 'kitDistinct', baseline: 'rawUndici', target: 0.9 },
  { name: 'no cache vs Ory docs pattern', subject: 'kitDistinct', baseline: 'docsSdk', target: 1.8 },
  { name: 'authGate vs bare proxy', subject: 'gate', baseline: 'proxy', target: 0.85 },
];

/** Apps hit with N concurrent requests carrying one cookie; `max` is the most whoami calls allowed. */
export const CONCURRENCY = [
  { name: 'requireSession(), no cache', app: 'kitNoCache', max: 5 },
  { name: 'Ory docs pattern', app: 'docsSdk' },
];
