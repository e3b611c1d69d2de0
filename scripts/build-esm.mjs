// Writes ESM entry points next to the CommonJS build: each re-exports the CommonJS module's named
// exports, so ESM and CommonJS consumers share one instance (one connection pool, one cache).
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const pkg = require('./package.json');

for (const [subpath, target] of Object.entries(pkg.exports)) {
  if (typeof target !== 'object') continue;
  const cjsFile = join(root, target.require);
  const esmFile = join(root, target.import);
  const names = Object.keys(require(cjsFile)).filter((n) => n !== 'default' && n !== '__esModule');
  const spec = relative(dirname(esmFile), cjsFile).split('\\').join('/');
  const lines = [
    `import cjs from '${spec.startsWith('.') ? spec : './' + spec}';`,
    ...names.map((n) => `export const ${n} = cjs.${n};`),
    'export default cjs;',
    '',
  ];
  mkdirSync(dirname(esmFile), { recursive: true });
  writeFileSync(esmFile, lines.join('\n'));
  console.log(`esm ${subpath}: ${names.length} exports`);
}
