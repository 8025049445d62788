import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { OPENAPI_SPEC_PATH } from '../../src/config';
import { loadOpenApiSpec, loadValidatorSpec } from '../../src/http/openapi-spec';

/**
 * The contract validator (express-openapi-validator, patched) dereferences the spec and, when no
 * `$ref` is left, compiles each route's schemas on their own instead of embedding the whole spec
 * in every one: Ajv walks whatever it is given, and the whole spec cost about 1 s of CPU on each
 * route's first request in every process (every test file, every restarted TSP). One `$ref`
 * left anywhere switches that off, silently: these tests keep it on.
 */
const validatorDir = path.dirname(require.resolve('express-openapi-validator/package.json'));
const { dereference } = require(require.resolve('@apidevtools/json-schema-ref-parser', { paths: [validatorDir] })) as {
  dereference(spec: object): Promise<Record<string, unknown>>;
};
const { refResolutionContext } = require(path.join(validatorDir, 'dist/middlewares/util.js')) as {
  refResolutionContext(apiDoc: object): Record<string, unknown>;
};

function refsIn(node: unknown, at: string, seen = new Set<object>(), found: string[] = []): string[] {
  if (node === null || typeof node !== 'object' || seen.has(node)) return found;
  seen.add(node);
  if (!Array.isArray(node) && typeof (node as { $ref?: unknown }).$ref === 'string') found.push(at);
  for (const [key, value] of Object.entries(node)) refsIn(value, `${at}/${key}`, seen, found);
  return found;
}

describe('the spec the contract validator compiles', () => {
  it('has no $ref left once dereferenced, so no route schema carries the whole spec', async () => {
    const dereferenced = await dereference(loadValidatorSpec());
    expect(refsIn(dereferenced, '#')).toEqual([]);
    expect(refResolutionContext(dereferenced)).toEqual({});
  });

  it('the full contract still does (a JWS claim schema next to a $ref): the validator would embed the spec for it', async () => {
    const dereferenced = await dereference(loadOpenApiSpec());
    expect(refsIn(dereferenced, '#').length).toBeGreaterThan(0);
    expect(Object.keys(refResolutionContext(dereferenced)).sort()).toEqual(['components', 'paths']);
  });

  it('keeps every path and schema: only the product tables and the contentSchema annotations are gone', () => {
    const full = loadOpenApiSpec() as { paths: object; components: { schemas: object } };
    const validated = loadValidatorSpec() as typeof full;
    expect(JSON.stringify(validated)).not.toMatch(/"(x-opentsp-[a-z-]+|contentSchema)":/);
    expect(JSON.stringify(full)).toMatch(/"contentSchema":/);
    expect(Object.keys(validated.paths)).toEqual(Object.keys(full.paths));
    expect(Object.keys(validated.components.schemas)).toEqual(Object.keys(full.components.schemas));
  });

  it('is the document the reference YAML parser reads (js-yaml, core schema: strings stay strings)', () => {
    expect(loadOpenApiSpec()).toEqual(parse(readFileSync(OPENAPI_SPEC_PATH, 'utf8')));
  });
});
