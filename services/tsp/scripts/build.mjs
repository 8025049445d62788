// `pnpm --filter @opentsp/tsp run build`: the TSP compiled to plain JavaScript in dist/, so a
// production deployment runs `node dist/main.js` without the tsx loader in every process
// (less memory per cluster worker, no transpiling at start-up).
//
// One bundle of our own code, the workspace packages included (@opentsp/* export TypeScript
// sources, which node cannot load) with their own third-party dependencies (pnpm installs those
// only under the workspace package, where a require from dist/ would not find them); the TSP's
// own dependencies stay ordinary `require`s resolved from services/tsp/node_modules at run time.
//
// The bundle sits one folder below services/tsp (dist/main.js, as config.ts sits in src/) on
// purpose: config.ts finds the repository (openapi/tsp.yaml, .data/) two folders above the
// folder of its own __dirname, which in a bundle is the bundle's folder.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(root, 'dist', 'main.js');

const ownSources = path.join(root, 'src') + path.sep;
const thirdPartyExternal = {
  name: 'third-party-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@opentsp/')) return undefined; // bundled
      if (!args.importer.startsWith(ownSources)) return undefined; // a workspace package's dependency: bundled
      return { path: args.path, external: true };
    });
  },
};

rmSync(path.join(root, 'dist'), { recursive: true, force: true });
const started = Date.now();
const result = await build({
  entryPoints: [path.join(root, 'src', 'cli', 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  // Stack traces and profiles keep our function and class names.
  keepNames: true,
  plugins: [thirdPartyExternal],
  metafile: true,
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
process.stdout.write(`built ${path.relative(root, outfile)} (${(bytes / 1024).toFixed(0)} KiB with its source map) in ${Date.now() - started} ms\n`);
