// Generates src/schema.d.ts from openapi/tsp.yaml with openapi-typescript and prepends the
// "do not edit" banner. `node generate.js [outFile]` writes elsewhere (the staleness test).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..', '..');
const out = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'src', 'schema.d.ts'));
const cli = path.join(root, 'node_modules', 'openapi-typescript', 'bin', 'cli.js');
execFileSync(process.execPath, [cli, path.join(root, 'openapi', 'tsp.yaml'), '-o', out, '--root-types'], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
const banner =
  '/**\n * GENERATED FILE - DO NOT EDIT.\n * Source: openapi/tsp.yaml. Regenerate with `pnpm gen`;\n' +
  ' * the test suite fails when this file is stale.\n */\n\n';
fs.writeFileSync(out, banner + fs.readFileSync(out, 'utf8'));
