// Runs lib/cli/main.ts in a child process: compiles TypeScript on require with the TypeScript compiler.
const Module = require('node:module');
const { readFileSync } = require('node:fs');
const ts = require('typescript');

Module._extensions['.ts'] = function compile(module, filename) {
  const { outputText } = ts.transpileModule(readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true, isolatedModules: true },
  });
  module._compile(outputText, filename);
};

require('../../lib/cli/main.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
