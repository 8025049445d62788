import { readFileSync } from 'node:fs';
import { CORE_SCHEMA, load } from 'js-yaml';
import { OPENAPI_SPEC_PATH } from '../config';

let cached: Record<string, unknown> | undefined;

/**
 * openapi/tsp.yaml, parsed once per process. Callers get their own deep copy. js-yaml with the
 * YAML 1.2 core schema (no dates, no `yes`/`no` booleans): the same document as the `yaml`
 * package gives (test/http/validator-spec.test.ts), in a quarter of the time (about 70 ms
 * instead of 300 ms cold, paid by every process and every test file that starts a TSP).
 */
export function loadOpenApiSpec(): Record<string, unknown> {
  cached ??= load(readFileSync(OPENAPI_SPEC_PATH, 'utf8'), { schema: CORE_SCHEMA }) as Record<string, unknown>;
  return structuredClone(cached);
}

/**
 * The spec the contract validator compiles, without what it never applies:
 * - the `x-opentsp-*` tables (the problem-code table on `ProblemCode`, read by `pnpm gen`). They
 *   are data, not schema, but the validator walked them in every route's schemas: with the
 *   table, the first request of each route took 3–5 s instead of about 1 s.
 * - `contentSchema` beside `contentMediaType`, an annotation (Ajv does not validate inside a JWS). Next to a `$ref` its own
 *   `$ref` survives dereferencing, and one `$ref` left in the spec makes the validator embed the
 *   whole spec in every schema it compiles (patches/express-openapi-validator: each route's first
 *   request then walked all of it, about 1 s of CPU). test/http/validator-spec.test.ts.
 */
export function loadValidatorSpec(): Record<string, unknown> {
  return withoutAnnotationsAndTables(loadOpenApiSpec()) as Record<string, unknown>;
}

function withoutAnnotationsAndTables(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutAnnotationsAndTables);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    // `contentSchema` is the keyword only beside `contentMediaType` (JSON Schema 2020-12 §8.5);
    // a property of that name elsewhere is schema and stays.
    if (key.startsWith('x-opentsp-') || (key === 'contentSchema' && 'contentMediaType' in node)) continue;
    out[key] = withoutAnnotationsAndTables(value);
  }
  return out;
}
