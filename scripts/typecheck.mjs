// The `typecheck` of a package or app that has no tsconfig.json of its own:
// type-checks its `src` and `test` folders and any `*.config.ts` beside them
// with the workspace's base options (tsconfig.base.json), as
// `tsc -p tsconfig.json` would with a tsconfig.json that extends the base and
// includes them. Run from the package's folder: `node ../../scripts/typecheck.mjs`.
// A package that needs other options (decorators, a second no-Node-types pass)
// keeps its own tsconfig.json and runs tsc on it instead.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';

// require, not import: an import of this 9 MB CommonJS file first scans all of
// it for its export names.
const ts = createRequire(import.meta.url)('typescript');

const root = resolve(import.meta.dirname, '..');
const dir = process.cwd();

const include = [
  ...['src', 'test'].filter((folder) => existsSync(join(dir, folder))),
  ...readdirSync(dir).filter((file) => file.endsWith('.config.ts')),
];
if (include.length === 0) {
  console.error(`typecheck: nothing to check in ${relative(root, dir) || '.'} (no src, test or *.config.ts)`);
  process.exit(1);
}

// As if a tsconfig.json in this folder said { "extends": <base>, "include": [...] }.
const parsed = ts.parseJsonConfigFileContent(
  { extends: join(root, 'tsconfig.base.json'), include },
  ts.sys,
  dir,
  undefined,
  join(dir, 'tsconfig.json'),
);
const program = ts.createProgram({
  rootNames: parsed.fileNames,
  options: parsed.options,
  projectReferences: parsed.projectReferences,
});
const diagnostics = [...parsed.errors, ...ts.getPreEmitDiagnostics(program)];
if (diagnostics.length > 0) {
  const host = {
    getCanonicalFileName: (file) => file,
    getCurrentDirectory: () => dir,
    getNewLine: () => ts.sys.newLine,
  };
  const format = process.stdout.isTTY ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
  process.stdout.write(format(diagnostics, host));
  const files = new Set(diagnostics.map((d) => d.file?.fileName).filter(Boolean)).size;
  console.log(
    `\nFound ${diagnostics.length} error${diagnostics.length === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}.`,
  );
  process.exit(1);
}
