// Builds the published package into dist/ (run by `pnpm pack` / `pnpm publish` through
// `prepack`; the workspace itself runs src/ directly, see package.json `publishConfig`):
//   dist/esm/{index,browser}.js   ES modules (dist/esm/package.json says "type": "module")
//   dist/cjs/{index,browser}.js   CommonJS   (dist/cjs/package.json says "type": "commonjs")
//   dist/{esm,cjs}/**/*.d.ts      declarations, the same in both, so `tsc` resolves each format
//                                 to its own types under node16/nodenext and bundler resolution.
// esbuild bundles each entry; dependencies (jose, @opentsp/api-types) stay imports, except
// @opentsp/card (a private workspace package, never published: a devDependency, bundled) and the
// problem-code table generated from the contract (@opentsp/api-types/contract-tables), which is
// inlined: the SDK's run time depends on jose alone. The Node
// entry imports the browser entry rather than bundling a second copy of it, so `instanceof`
// works across the two entries.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const types = join(dist, '.types');
rmSync(dist, { recursive: true, force: true });

/** index.ts re-exports ./browser: keep that an import of the sibling output file. */
const browserAsSibling = {
  name: 'browser-as-sibling',
  setup(b) {
    b.onResolve({ filter: /^\.\/browser$/ }, (args) => (args.importer.endsWith(join('src', 'index.ts')) ? { path: './browser.js', external: true } : undefined));
  },
};

/** @opentsp/card is not published: its few functions go into the bundle instead of an import. */
const cardBundled = {
  name: 'card-bundled',
  setup(b) {
    b.onResolve({ filter: /^@opentsp\/card$/ }, () => ({ path: createRequire(join(root, 'package.json')).resolve('@opentsp/card') }));
  },
};

/** The generated contract tables are bundled into the SDK rather than imported at run time. */
const inlineContractTables = {
  name: 'inline-contract-tables',
  setup(b) {
    const require = createRequire(join(root, 'package.json'));
    b.onResolve({ filter: /^@opentsp\/api-types\/contract-tables$/ }, (args) => ({ path: require.resolve(args.path) }));
  },
};

for (const format of ['esm', 'cjs']) {
  const outdir = join(dist, format);
  await build({
    entryPoints: [join(root, 'src', 'browser.ts'), join(root, 'src', 'index.ts')],
    outdir,
    bundle: true,
    packages: 'external',
    platform: 'neutral',
    format,
    target: 'es2022',
    legalComments: 'inline',
    logLevel: 'warning',
    plugins: [browserAsSibling, cardBundled, inlineContractTables],
  });
  writeFileSync(join(outdir, 'package.json'), `${JSON.stringify({ type: format === 'esm' ? 'module' : 'commonjs' })}\n`);
}

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const emitted = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (emitted.status !== 0) process.exit(emitted.status ?? 1);

// Node's ESM resolution (and tsc's under node16/nodenext) needs full relative specifiers.
function withExtensions(file) {
  return readFileSync(file, 'utf8').replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]*)\2/g, (all, lead, quote, spec) => {
    const target = resolve(dirname(file), spec);
    if (existsSync(`${target}.d.ts`)) return `${lead}${quote}${spec}.js${quote}`;
    if (existsSync(join(target, 'index.d.ts'))) return `${lead}${quote}${spec}/index.js${quote}`;
    throw new Error(`${file}: cannot resolve ${spec}`);
  });
}
function copyDeclarations(dir) {
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (statSync(file).isDirectory()) {
      copyDeclarations(file);
      continue;
    }
    const text = withExtensions(file);
    for (const format of ['esm', 'cjs']) {
      const out = join(dist, format, file.slice(types.length + 1));
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, text);
    }
  }
}
copyDeclarations(types);
rmSync(types, { recursive: true, force: true });
