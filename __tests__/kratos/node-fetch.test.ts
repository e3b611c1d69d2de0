import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { startEmulator, type TestEmulator } from '../helpers/emulator';

/*
 * node-fetch@3 is ESM-only and this jest setup runs CommonJS without VM modules, so the client is compiled
 * and run in a child Node process that loads node-fetch with a dynamic import(). The build lands under
 * node_modules/.cache so the child resolves the kit's dependencies from the project.
 */
const ROOT = join(__dirname, '..', '..');
const OUT = join(ROOT, 'node_modules', '.cache', `kratos-express-node-fetch-${process.pid}`);

const SCRIPT = `
const { default: fetch } = await import('node-fetch');
const { createRequire } = await import('node:module');
const require = createRequire(import.meta.url);
const { KratosClient } = require('./kratos/client.js');
const { resolveConfig } = require('./kratos/config.js');
const [publicUrl, cookie] = process.argv.slice(2);
const client = new KratosClient(resolveConfig({ publicUrl, fetch }, {}));
const whoami = await client.whoami({ cookie });
const anonymous = await client.whoami({ cookie: 'ory_kratos_session=unknown' });
const browserInit = await client.request({ path: '/self-service/login/browser', headers: { accept: 'text/html' } });
let unreachable;
try {
  await new KratosClient(resolveConfig({ publicUrl: 'http://127.0.0.1:1', fetch }, {})).whoami({ cookie });
} catch (err) {
  unreachable = { code: err.code, status: err.status };
}
console.log(JSON.stringify({
  whoami: { status: whoami.status, id: whoami.body && whoami.body.id },
  anonymous: anonymous.status,
  browserInit: { status: browserInit.status, location: browserInit.headers.location, setCookie: browserInit.headers['set-cookie'] },
  unreachable,
}));
`;

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(OUT, 'run.mjs'), ...args], { cwd: OUT, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

let kratos: TestEmulator;
beforeAll(async () => {
  mkdirSync(join(OUT, 'kratos'), { recursive: true });
  for (const file of readdirSync(join(ROOT, 'lib', 'kratos')).filter((f) => f.endsWith('.ts'))) {
    const { outputText } = ts.transpileModule(readFileSync(join(ROOT, 'lib', 'kratos', file), 'utf8'), {
      fileName: file,
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true, isolatedModules: true },
    });
    writeFileSync(join(OUT, 'kratos', file.replace(/\.ts$/, '.js')), outputText);
  }
  writeFileSync(join(OUT, 'run.mjs'), SCRIPT);
  kratos = await startEmulator();
});
afterAll(async () => {
  rmSync(OUT, { recursive: true, force: true });
  await kratos.close();
});

it('works with node-fetch@3 as the custom fetch: whoami, no redirects followed, errors mapped', async () => {
  const identity = await kratos.createIdentity({ traits: { email: 'node-fetch@example.com' } });
  const { cookie, session } = await kratos.createSession(identity.id as string);
  const out = JSON.parse(await run([kratos.publicUrl, cookie]));
  expect(out.whoami).toEqual({ status: 200, id: session.id });
  expect(out.anonymous).toBe(401);
  expect(out.browserInit.status).toBe(303);
  expect(out.browserInit.location).toMatch(/\?flow=/);
  expect(out.browserInit.setCookie.some((c: string) => c.startsWith(kratos.csrfCookieName))).toBe(true);
  expect(out.unreachable).toEqual({ code: 'KRATOS_UNREACHABLE', status: 502 });
});
