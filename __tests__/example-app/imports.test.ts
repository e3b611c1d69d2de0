import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(__dirname, '../..');
const appDir = join(root, 'example-app');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; exports: Record<string, unknown> };
const publicEntries = new Set(Object.keys(pkg.exports).filter((k) => k !== './package.json').map((k) => (k === '.' ? pkg.name : `${pkg.name}/${k.slice(2)}`)));
const CODE = /\.(c|m)?(j|t)sx?$/;
const SPECIFIER = /\brequire\s*\(\s*(['"`])([^'"`]+)\1\s*\)|\bimport\s*\(\s*(['"`])([^'"`]+)\3\s*\)|\bfrom\s*(['"])([^'"]+)\5|\bimport\s+(['"])([^'"]+)\7/g;

function codeFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = join(dir, name);
    if (name === 'node_modules') return [];
    return statSync(file).isDirectory() ? codeFiles(file) : CODE.test(name) ? [file] : [];
  });
}

function specifiers(source: string): string[] {
  return [...source.matchAll(SPECIFIER)].map((m) => m[2] ?? m[4] ?? m[6] ?? m[8]);
}

/** Why an import of `file` is not what a user of the published package could write, or undefined. */
function problem(file: string, spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('/')) {
    const target = resolve(dirname(file), spec);
    if (target !== appDir && !target.startsWith(appDir + sep)) return `${spec} reaches outside example-app/ (use the package name instead)`;
    return undefined;
  }
  if (spec.startsWith('node:') || builtinModules.includes(spec)) return undefined;
  if (spec === pkg.name || spec.startsWith(`${pkg.name}/`)) {
    return publicEntries.has(spec) ? undefined : `${spec} is not a public entry point (${[...publicEntries].join(', ')})`;
  }
  if (/(^|\/)(lib|dist)(\/|$)/.test(spec)) return `${spec} looks like a deep path into a build or source folder`;
  return undefined;
}

describe('example-app imports', () => {
  const files = codeFiles(appDir);

  it('contains the app code', () => {
    expect(files.map((f) => relative(appDir, f))).toEqual(expect.arrayContaining(['app.js', 'index.js', 'server.js']));
  });

  it('imports kratos-express only through its public entry points, by package name', () => {
    const found: string[] = [];
    const used = new Set<string>();
    for (const file of files) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        if (spec === pkg.name || spec.startsWith(`${pkg.name}/`)) used.add(spec);
        const issue = problem(file, spec);
        if (issue) found.push(`${relative(root, file)}: ${issue}`);
      }
    }
    expect(found).toEqual([]);
    expect([...used].sort()).toEqual(['kratos-express', 'kratos-express/emulator']);
  });

  it('flags the imports a user could not write', () => {
    const file = join(appDir, 'app.js');
    const bad = [
      "require('../lib')",
      "require('../dist/cjs/index.js')",
      "import { x } from '../lib/session';",
      "const m = await import('kratos-express/dist/cjs/emulator/index.js')",
      "require(`kratos-express/lib/render`)",
      "import 'kratos-express/package.json/../lib'",
      "require('../../lib/index')",
    ];
    for (const line of bad) {
      const specs = specifiers(line);
      expect(specs).toHaveLength(1);
      expect(problem(file, specs[0])).toBeDefined();
    }
    const good = ["require('kratos-express')", "from 'kratos-express/proxy'", "require('./errors')", "require('node:http')", "require('express')"];
    for (const line of good) expect(problem(file, specifiers(line)[0])).toBeUndefined();
  });

  it('resolves the package name to the built dist/ through the exports field', () => {
    for (const entry of publicEntries) {
      expect(relative(root, require.resolve(entry, { paths: [appDir] }))).toMatch(/^dist[\\/]cjs[\\/]/);
    }
  });
});
