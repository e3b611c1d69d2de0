'use strict';

const http = require('node:http');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const { createKratosEmulator } = require('kratos-express/emulator');
const { createApp } = require('./app');

const CONFIG_FILE = path.join(__dirname, 'kratos.yml');
/** The origin kratos.yml is written for; rewritten when the app listens elsewhere. */
const CONFIGURED_ORIGIN = 'http://127.0.0.1:3000';
const DEMO_EMAIL = 'demo@example.com';

/** kratos.yml's URLs, moved to the origin the app really listens on (e.g. PORT=4000, or port 0 in tests). */
function originOverrides(origin) {
  const at = (pathname) => `${origin}${pathname}`;
  return {
    selfservice: {
      default_browser_return_url: at('/dashboard'),
      allowed_return_urls: [origin],
      flows: {
        error: { ui_url: at('/error') },
        settings: { ui_url: at('/settings') },
        recovery: { ui_url: at('/recovery') },
        verification: { ui_url: at('/verification'), after: { default_browser_return_url: at('/dashboard') } },
        logout: { after: { default_browser_return_url: at('/') } },
        login: { ui_url: at('/login') },
        registration: { ui_url: at('/registration') },
      },
    },
  };
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

async function createDemoAccount(emulator) {
  const password = `demo-${randomBytes(6).toString('hex')}`;
  await emulator.createIdentity({
    traits: { email: DEMO_EMAIL, name: { first: 'Demo', last: 'User' } },
    password,
    verified: true,
  });
  return { email: DEMO_EMAIL, password };
}

/**
 * Starts the example app on http://127.0.0.1:<port>. Without KRATOS_PUBLIC_URL it embeds the Kratos
 * emulator (configured from example-app/kratos.yml, its public API proxied at /.ory) and creates a demo
 * account; with KRATOS_PUBLIC_URL it uses that Kratos and KRATOS_BROWSER_URL (default '/.ory').
 *
 * @param {{ port?: number, host?: string, env?: NodeJS.ProcessEnv }} [options] port 0 picks a free port.
 * @returns {Promise<{ url: string, server: http.Server, emulator?: object, demo?: { email: string, password: string },
 *   kratos: { publicUrl: string, browserUrl: string }, close: () => Promise<void> }>}
 *
 * @example
 * const app = await startExampleApp({ port: 0 });
 * await fetch(`${app.url}/api/me`); // 401
 * await app.close();
 */
async function startExampleApp(options = {}) {
  const { port = 3000, host = '127.0.0.1', env = process.env } = options;
  let handler = (req, res) => {
    res.statusCode = 503;
    res.end('Starting');
  };
  const server = http.createServer((req, res) => handler(req, res));
  const actualPort = await listen(server, port, host);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;

  let emulator;
  let demo;
  let closeApp = async () => {};
  try {
    let publicUrl = env.KRATOS_PUBLIC_URL;
    let browserUrl = env.KRATOS_BROWSER_URL || '/.ory';
    if (!publicUrl) {
      emulator = await createKratosEmulator({
        config: CONFIG_FILE,
        baseUrl: `${url}${browserUrl}/`,
        overrides: url === CONFIGURED_ORIGIN ? {} : originOverrides(url),
      });
      publicUrl = emulator.publicUrl;
      browserUrl = '/.ory';
      demo = await createDemoAccount(emulator);
    }
    const created = createApp({ publicUrl, browserUrl });
    closeApp = created.close;
    handler = created.app;

    let closing;
    const close = () => {
      closing ??= (async () => {
        await new Promise((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          // Requests still running after a grace period are cut off.
          setTimeout(() => server.closeAllConnections(), 3000).unref();
        });
        await closeApp();
        if (emulator) await emulator.close();
      })();
      return closing;
    };
    return { url, server, emulator, demo, kratos: { publicUrl, browserUrl }, close };
  } catch (err) {
    server.closeAllConnections();
    server.close();
    await closeApp();
    if (emulator) await emulator.close();
    throw err;
  }
}

module.exports = { startExampleApp, originOverrides };
