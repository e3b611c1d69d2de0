'use strict';

// `npm start`: the example app on http://127.0.0.1:3000 (PORT overrides), with the Kratos emulator
// embedded unless KRATOS_PUBLIC_URL points at a real Kratos.
const { startExampleApp } = require('./index');

function parsePort(value) {
  if (value === undefined || value === '') return 3000;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new Error(`PORT: ${JSON.stringify(value)} is not a port number. Use an integer from 0 to 65535, for example PORT=3000.`);
  }
  return port;
}

async function main() {
  const port = parsePort(process.env.PORT);
  const app = await startExampleApp({ port });
  const lines = [`kratos-express example app: ${app.url}`];
  if (app.emulator) {
    lines.push(`Kratos: in-memory emulator, public API proxied at ${app.url}${app.kratos.browserUrl}`);
    lines.push(`Demo account: ${app.demo.email} / ${app.demo.password}`);
    lines.push('Recovery and verification codes are printed here when Kratos "sends" them.');
  } else {
    lines.push(`Kratos: ${app.kratos.publicUrl} (browsers use ${app.kratos.browserUrl})`);
  }
  lines.push('Press Ctrl-C to stop.');
  console.log(lines.join('\n'));

  if (app.emulator) printCodes(app.emulator);

  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.log(`\n${signal}: stopping`);
      app.close().then(
        () => process.exit(0),
        (err) => {
          console.error(err);
          process.exit(1);
        },
      );
    });
  }
}

/** The emulator keeps mail in memory: show the codes it sends so a person can use them. */
function printCodes(emulator) {
  let seen = emulator.messages().length;
  setInterval(() => {
    const messages = emulator.messages();
    for (const message of messages.slice(seen)) {
      const code = String(message.body || '').match(/\b\d{6}\b/);
      console.log(`Mail to ${message.recipient}: ${message.subject}${code ? ` — code ${code[0]}` : ''}`);
    }
    seen = messages.length;
  }, 500).unref();
}

main().catch((err) => {
  if (err && err.code === 'EADDRINUSE') {
    console.error(`Port ${err.port} is already in use. Stop the other server or choose another port: PORT=4000 npm start`);
  } else {
    console.error(err && err.message ? err.message : err);
  }
  process.exit(1);
});
