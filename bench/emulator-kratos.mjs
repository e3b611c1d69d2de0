// The second Kratos side: the kit's own emulator (from the build), with one identity and many sessions.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { onRequest, send } from './lib/ipc.mjs';

const { createKratosEmulator } = createRequire(import.meta.url)(join(process.env.BENCH_KIT_DIR, 'emulator', 'index.js'));
const count = Number(process.env.BENCH_SESSIONS ?? 2000);

const kratos = await createKratosEmulator();
const identity = await kratos.createIdentity({ traits: { email: 'bench@example.com' } });
const cookies = [];
for (let i = 0; i < count; i++) cookies.push((await kratos.createSession(identity.id)).cookie);

const whoamiCalls = () => Object.entries(kratos.stats()).reduce((total, [route, n]) => (route.includes('whoami') ? total + n : total), 0);

onRequest((msg) => {
  if (msg.type === 'stats') return { whoami: whoamiCalls() };
  throw new Error(`unknown request ${msg.type}`);
});
process.on('SIGTERM', () => kratos.close().then(() => process.exit(0)));
send({ type: 'ready', kratosUrl: kratos.publicUrl, cookies });
