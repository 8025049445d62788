// Builds the published package (run by `pnpm pack` / `pnpm publish` through `prepack`): the
// contract's types as declarations in dist/, and the generated run-time tables
// (`./contract-tables`: problem codes, scopes) as ESM and CommonJS with their declarations. The
// workspace itself reads src/ (see package.json `publishConfig`).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);
copyFileSync(join(root, 'src', 'schema.d.ts'), join(dist, 'schema.d.ts'));
// src/index.ts declares types only, so it is its own declaration file; the full specifier
// resolves under every module resolution (node16/nodenext ESM included).
const index = readFileSync(join(root, 'src', 'index.ts'), 'utf8').replaceAll("from './schema'", "from './schema.js'");
if (!index.includes("from './schema.js'")) throw new Error('src/index.ts no longer imports ./schema: update scripts/build.mjs');
writeFileSync(join(dist, 'index.d.ts'), index);
// An empty module, so a bundler or `require` that resolves the package finds something.
writeFileSync(join(dist, 'index.js'), "'use strict';\n// Types only: see index.d.ts.\n");

// The run-time tables: one source file, two module formats, one declaration (for both).
const tablesSource = readFileSync(join(root, 'src', 'contract-tables.ts'), 'utf8');
for (const [format, ext] of [['esm', 'mjs'], ['cjs', 'js']]) {
  const { code } = await transform(tablesSource, { loader: 'ts', format, target: 'es2022' });
  writeFileSync(join(dist, `contract-tables.${ext}`), code);
}
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const emitted = spawnSync(
  process.execPath,
  [tsc, '--declaration', '--emitDeclarationOnly', '--skipLibCheck', '--strict', '--target', 'es2022', '--outDir', dist, join(root, 'src', 'contract-tables.ts')],
  { stdio: 'inherit' },
);
if (emitted.status !== 0) process.exit(emitted.status ?? 1);
copyFileSync(join(dist, 'contract-tables.d.ts'), join(dist, 'contract-tables.d.mts'));
