import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { OPENAPI_SPEC_PATH } from '../config';

let cached: Record<string, unknown> | undefined;

/** openapi/tsp.yaml, parsed once per process. Callers get their own deep copy. */
export function loadOpenApiSpec(): Record<string, unknown> {
  cached ??= parse(readFileSync(OPENAPI_SPEC_PATH, 'utf8')) as Record<string, unknown>;
  return structuredClone(cached);
}
