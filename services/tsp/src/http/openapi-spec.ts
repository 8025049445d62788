import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { OPENAPI_SPEC_PATH } from '../config';

let cached: Record<string, unknown> | undefined;

/** openapi/tsp.yaml, parsed once per process. Callers get their own deep copy. */
export function loadOpenApiSpec(): Record<string, unknown> {
  cached ??= parse(readFileSync(OPENAPI_SPEC_PATH, 'utf8')) as Record<string, unknown>;
  return structuredClone(cached);
}

/**
 * The spec the contract validator compiles: without the `x-opentsp-*` tables (the problem-code
 * table on `ProblemCode`, read by `pnpm gen`, not by the validator). They are data, not schema,
 * but the validator copies and walks them in every route's schemas it compiles: with the table,
 * the first request of each route took 3–5 s instead of about 1 s (token-expiry e2e timed out).
 */
export function loadValidatorSpec(): Record<string, unknown> {
  return withoutProductTables(loadOpenApiSpec()) as Record<string, unknown>;
}

function withoutProductTables(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutProductTables);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) if (!key.startsWith('x-opentsp-')) out[key] = withoutProductTables(value);
  return out;
}
