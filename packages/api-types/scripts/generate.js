// Generates from openapi/tsp.yaml, each file with the "do not edit" banner:
//   src/schema.d.ts          the contract's types (openapi-typescript)
//   src/contract-tables.ts   the values tools need at run time: each problem code's HTTP
//                            status, error family and title (`x-opentsp-problem-codes`), and
//                            the OAuth2 scopes (`components.securitySchemes.oauth2`)
// `node generate.js [schemaOutFile]` writes both next to that file instead (the staleness test).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { parse } = require('yaml');

const root = path.resolve(__dirname, '..', '..', '..');
const spec = path.join(root, 'openapi', 'tsp.yaml');
const out = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'src', 'schema.d.ts'));
const tablesOut = path.join(path.dirname(out), 'contract-tables.ts');
const cli = path.join(root, 'node_modules', 'openapi-typescript', 'bin', 'cli.js');
execFileSync(process.execPath, [cli, spec, '-o', out, '--root-types'], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
const banner =
  '/**\n * GENERATED FILE - DO NOT EDIT.\n * Source: openapi/tsp.yaml. Regenerate with `pnpm gen`;\n' +
  ' * the test suite fails when this file is stale.\n */\n\n';
fs.writeFileSync(out, banner + fs.readFileSync(out, 'utf8'));
fs.writeFileSync(tablesOut, banner + contractTables(parse(fs.readFileSync(spec, 'utf8'))));

/** The run-time tables as a TypeScript module; throws when the contract contradicts itself. */
function contractTables(doc) {
  const FAMILIES = ['validation', 'authentication', 'permission', 'declined', 'not_found', 'conflict', 'gone', 'rate_limit', 'server'];
  const problemCode = doc.components.schemas.ProblemCode;
  const table = problemCode['x-opentsp-problem-codes'] ?? {};
  const codes = problemCode.enum;
  const listed = Object.keys(table);
  const missing = codes.filter((code) => !(code in table));
  const extra = listed.filter((code) => !codes.includes(code));
  if (missing.length || extra.length) {
    throw new Error(`ProblemCode: x-opentsp-problem-codes differs from the enum (missing ${missing.join(', ') || '-'}; not in the enum ${extra.join(', ') || '-'})`);
  }
  const rows = codes.map((code) => {
    const { status, family, title } = table[code];
    if (!Number.isInteger(status) || status < 400 || status > 599) throw new Error(`ProblemCode ${code}: status ${status} is not an HTTP error status`);
    if (!FAMILIES.includes(family)) throw new Error(`ProblemCode ${code}: family ${family} is not one of ${FAMILIES.join(', ')}`);
    if (typeof title !== 'string' || title === '') throw new Error(`ProblemCode ${code}: title missing`);
    return `  ${code}: { status: ${status}, family: ${JSON.stringify(family)}, title: ${JSON.stringify(title)} },`;
  });

  const scopes = Object.keys(doc.components.securitySchemes.oauth2.flows.clientCredentials.scopes);
  const scopeEnum = doc.components.schemas.Scope?.enum ?? [];
  if (JSON.stringify([...scopeEnum].sort()) !== JSON.stringify([...scopes].sort())) {
    throw new Error(`schema Scope (${scopeEnum.join(' ')}) differs from the oauth2 scopes (${scopes.join(' ')})`);
  }

  return `/** The families problem codes fall into; the SDK has one error class per family. */
export type ProblemFamily = ${FAMILIES.map((f) => JSON.stringify(f)).join(' | ')};

/** HTTP status, family and short title of every problem code (\`x-opentsp-problem-codes\`). */
export const PROBLEM_CODE_TABLE = {
${rows.join('\n')}
} as const satisfies Record<string, { readonly status: number; readonly family: ProblemFamily; readonly title: string }>;

/** Every stable error code of the contract (enum \`ProblemCode\`). */
export type ContractProblemCode = keyof typeof PROBLEM_CODE_TABLE;

/** The OAuth2 scopes of the API (\`components.securitySchemes.oauth2\`), in contract order. */
export const OAUTH_SCOPES = [${scopes.map((s) => JSON.stringify(s)).join(', ')}] as const;

/** One OAuth2 scope of the API. */
export type OAuthScope = (typeof OAUTH_SCOPES)[number];
`;
}
