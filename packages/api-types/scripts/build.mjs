// Builds the published package (run by `pnpm pack` / `pnpm publish` through `prepack`): the
// contract's types as declarations in dist/. Types only: nothing here exists at run time. The
// workspace itself reads src/ (see package.json `publishConfig`).
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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
