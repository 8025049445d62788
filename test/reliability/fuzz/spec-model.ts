import { loadOpenApiSpec } from '../../../services/tsp/src/http/openapi-spec';

/** A JSON Schema node of the contract (OpenAPI 3.1 = JSON Schema 2020-12), refs resolved lazily. */
export type Schema = Record<string, unknown>;

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}

/** One operation of openapi/tsp.yaml, as much as the fuzzer needs. */
export interface Operation {
  operationId: string;
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Path template, e.g. `/v1/tokens/{tokenRef}`. */
  path: string;
  parameters: Parameter[];
  body?: { required: boolean; contentTypes: string[]; schema: Schema };
  /** Scopes any of which the operation needs; empty = public. */
  scopes: string[];
}

export interface SpecModel {
  operations: Operation[];
  /** Every `code` a problem document may carry (enum `ProblemCode`). */
  problemCodes: ReadonlySet<string>;
  resolve(schema: unknown): Schema;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** Reads the contract into the operation list the fuzzer walks. Webhooks (calls the TSP makes) are skipped. */
export function loadSpecModel(): SpecModel {
  const spec = loadOpenApiSpec();
  const resolve = (node: unknown): Schema => {
    let current = node as Schema;
    for (let hops = 0; current && typeof current.$ref === 'string' && hops < 20; hops++) {
      const pointer = (current.$ref as string).replace(/^#\//, '').split('/');
      let target: unknown = spec;
      for (const part of pointer) target = (target as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
      const { $ref: _ignored, ...siblings } = current;
      current = { ...(target as Schema), ...siblings };
    }
    return current ?? {};
  };
  const operations: Operation[] = [];
  const paths = spec.paths as Record<string, Record<string, unknown>>;
  for (const [path, item] of Object.entries(paths)) {
    const shared = ((item.parameters as unknown[]) ?? []).map(resolve);
    for (const method of METHODS) {
      const op = item[method] as Schema | undefined;
      if (!op) continue;
      const params = [...shared, ...((op.parameters as unknown[]) ?? []).map(resolve)].map(
        (p): Parameter => ({ name: p.name as string, in: p.in as Parameter['in'], required: p.required === true, schema: resolve(p.schema ?? {}) }),
      );
      const security = (op.security ?? spec.security ?? []) as Array<Record<string, string[]>>;
      const scopes = [...new Set(security.flatMap((requirement) => Object.values(requirement).flat()))];
      let body: Operation['body'];
      if (op.requestBody) {
        const rb = resolve(op.requestBody);
        const content = (rb.content ?? {}) as Record<string, { schema?: unknown }>;
        const contentTypes = Object.keys(content);
        body = { required: rb.required === true, contentTypes, schema: resolve(content[contentTypes[0] as string]?.schema ?? {}) };
      }
      operations.push({ operationId: (op.operationId as string) ?? `${method} ${path}`, method, path, parameters: params, ...(body ? { body } : {}), scopes });
    }
  }
  const problemCode = resolve((spec.components as Record<string, Record<string, unknown>>).schemas?.ProblemCode);
  return { operations, problemCodes: new Set(problemCode.enum as string[]), resolve };
}
