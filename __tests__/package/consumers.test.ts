import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Packs the package as npm would publish it, unpacks it into consumer projects inside the repository
// (so its dependencies resolve from the repository's node_modules) and imports every export from
// CommonJS, ESM and TypeScript.
const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const subpaths = Object.keys(pkg.exports).filter((p) => p !== './package.json');
// Entry points that only add types (`import 'kratos-express/augment'`): they load, but export nothing.
const typeOnly = new Set(['./augment']);
const specifier = (subpath: string) => (subpath === '.' ? 'kratos-express' : `kratos-express/${subpath.slice(2)}`);

let workdir: string;
let consumer: string;

beforeAll(() => {
  mkdirSync(join(root, '.tarball'), { recursive: true });
  workdir = mkdtempSync(join(root, '.tarball', 'consumer-'));
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', workdir], { cwd: root, encoding: 'utf8' });
  const [{ filename }] = JSON.parse(out.slice(out.indexOf('[')));
  consumer = join(workdir, 'app');
  const installed = join(consumer, 'node_modules', 'kratos-express');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', join(workdir, filename), '-C', installed, '--strip-components=1']);
}, 120_000);

afterAll(() => {
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

function run(file: string, source: string): string {
  writeFileSync(join(consumer, file), source);
  return execFileSync(process.execPath, [file], { cwd: consumer, encoding: 'utf8' });
}

describe('the published package', () => {
  it('ships only the build and the README, with a bin and type declarations', () => {
    const files = execFileSync('find', ['.', '-type', 'f'], { cwd: join(consumer, 'node_modules', 'kratos-express'), encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    expect(files.some((f) => f.startsWith('./lib/'))).toBe(false);
    expect(files.some((f) => f.startsWith('./__tests__/'))).toBe(false);
    expect(files).toContain('./dist/cjs/index.d.ts');
    expect(files).toContain('./README.md');
    expect(files).toContain(`./${pkg.bin['kratos-express'].replace(/^\.\//, '')}`);
  });

  it.each(subpaths)('exposes the same named exports to CommonJS and ESM for %s', (subpath) => {
    const spec = specifier(subpath);
    const cjs = JSON.parse(run('cjs.cjs', `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(spec)})).sort()))`));
    const esm = JSON.parse(
      run('esm.mjs', `import * as m from ${JSON.stringify(spec)}; console.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default').sort()))`),
    );
    if (typeOnly.has(subpath)) expect(cjs).toEqual([]);
    else expect(cjs.length).toBeGreaterThan(0);
    expect(esm).toEqual(cjs.filter((k: string) => k !== '__esModule'));
  });

  it('lets ESM code import the main factories by name', () => {
    const out = run(
      'named.mjs',
      [
        "import { requireSession, optionalSession, createKratos } from 'kratos-express';",
        "import { createKratosEmulator } from 'kratos-express/emulator';",
        'console.log([requireSession, optionalSession, createKratos, createKratosEmulator].map((f) => typeof f).join(","));',
      ].join('\n'),
    );
    expect(out.trim()).toBe('function,function,function,function');
  });

  function typecheck(file: string, source: string): void {
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', noEmit: true, esModuleInterop: true, skipLibCheck: false, types: ['node'], typeRoots: [join(root, 'node_modules', '@types')] }, files: [file] }),
    );
    writeFileSync(join(consumer, file), source);
    try {
      execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', consumer], { encoding: 'utf8' });
    } catch (err) {
      throw new Error(`tsc rejected ${file}:\n${(err as { stdout?: string }).stdout ?? ''}`);
    }
  }

  it('type-checks the twenty-line example of the README', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const example = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain("from 'kratos-express'");
    typecheck('readme.ts', example!.replace('app.listen(3000);', 'void app;'));
  });

  it('types req.session only for apps that import kratos-express/augment', () => {
    const use = "import express from 'express';\nexpress().get('/', (req, res) => res.json(req.session?.identity?.id));\n";
    expect(() => typecheck('plain.ts', use)).toThrow(/plain\.ts.*Property 'session' does not exist/s);
    typecheck('augmented.ts', `import 'kratos-express/augment';\n${use}`);
  });

  it('type-checks a TypeScript consumer against the published declarations', () => {
    typecheck(
      'consumer.ts',
      [
        "import { requireSession, optionalSession, createKratos } from 'kratos-express';",
        "import { createKratosEmulator } from 'kratos-express/emulator';",
        'const guard = requireSession({ aal: "aal2", maxAge: "10m" });',
        'const maybe = optionalSession();',
        'void guard; void maybe; void createKratos; void createKratosEmulator;',
      ].join('\n'),
    );
  });
});
