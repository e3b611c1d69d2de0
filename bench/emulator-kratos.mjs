// The second Kratos side: the kit's own emulator (from the build), with one identity and many sessions.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { onRequest, send } from './lib/ipc.mjs';

const { createKratosEmulator } = createRequire(import.meta.url)(join(process.env.BENCH_KIT_DIR, 'emulator', 'index.js'));
const count = Number(process.env.BENCH_SESSIONS ?? 2000);

// whoami calls that carried a session (answered 200), as the stub counts them: requests without any
// credential (the docs pattern still asks Kratos about those) are not session checks
let whoami = 0;
const onResponse = (event) => {
  if (event.server === 'public' && event.path === '/sessions/whoami' && event.status === 200) whoami++;
};
const kratos = await createKratosEmulator({ onResponse });
const identity = await kratos.createIdentity({ traits: { email: 'bench@example.com' } });
const cookies = [];
for (let i = 0; i < count; i++) cookies.push((await kratos.createSession(identity.id)).cookie);

onRequest((msg) => {
  if (msg.type === 'stats') return { whoami };
  throw new Error(`unknown request ${msg.type}`);
});
process.on('SIGTERM', () => kratos.close().then(() => process.exit(0)));
send({ type: 'ready', kratosUrl: kratos.publicUrl, cookies });
