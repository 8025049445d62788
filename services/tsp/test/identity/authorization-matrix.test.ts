import request from 'supertest';
import type { ClientRole, Scope } from '../../src/domain/principal';
import { ROLE_SCOPES } from '../../src/domain/identity/scopes';
import { loadOpenApiSpec } from '../../src/http/openapi-spec';
import { bearer, createTestClient, createTestParties, tokenFor, type TestClient } from '../../../../test/support/clients';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';

/**
 * The authorization matrix, generated from one table (ROLE_SCOPES: role → scopes) and the
 * contract (each operation's `security`): every role × every protected operation is either
 * allowed (anything but 401 and 403 insufficient_scope) or refused with 403
 * insufficient_scope; without a token every one answers 401 unauthorized. Requests use the
 * contract's own examples so they pass validation and reach authorization.
 */
type Json = Record<string, unknown>;
const spec = loadOpenApiSpec() as Json & { paths: Record<string, Record<string, Json>> };

function resolve<T = Json>(node: unknown): T {
  let current = node as Json | undefined;
  while (current && typeof current.$ref === 'string') {
    current = (current.$ref as string)
      .slice(2)
      .split('/')
      .reduce<Json>((at, key) => at[key] as Json, spec);
  }
  return current as T;
}

function exampleOf(schemaOrMedia: Json | undefined): unknown {
  const node = resolve(schemaOrMedia);
  if (!node) return undefined;
  if (node.example !== undefined) return node.example;
  if (Array.isArray(node.examples)) return node.examples[0];
  if (node.examples && typeof node.examples === 'object') return resolve(Object.values(node.examples as Json)[0]).value;
  if (node.schema) return exampleOf(node.schema as Json);
  return undefined;
}

interface Operation {
  name: string;
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  query: Record<string, string>;
  body: unknown;
  anyOf: Scope[][];
}

const BEARER = ['oauth2', 'bearerAuth'];
const operations: Operation[] = [];
for (const [template, item] of Object.entries(spec.paths)) {
  for (const [method, raw] of Object.entries(item)) {
    if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
    const op = raw as Json & { security?: Array<Record<string, string[]>>; operationId: string };
    const security = op.security ?? [];
    // Public operations (and the token endpoint, which authenticates clients itself) are not in the matrix.
    if (security.length === 0 || security.some((req) => !Object.keys(req).some((s) => BEARER.includes(s)))) continue;
    const parameters = [...((item.parameters as Json[] | undefined) ?? []), ...((op.parameters as Json[] | undefined) ?? [])].map((p) => resolve(p));
    let path = template;
    const query: Record<string, string> = {};
    for (const parameter of parameters) {
      const value = String(exampleOf(parameter));
      if (parameter.in === 'path') path = path.replace(`{${String(parameter.name)}}`, encodeURIComponent(value));
      if (parameter.in === 'query' && parameter.required) query[String(parameter.name)] = value;
    }
    const requestBody = resolve<Json | undefined>(op.requestBody);
    const media = (requestBody?.content as Json | undefined)?.['application/json'] as Json | undefined;
    operations.push({
      name: `${method.toUpperCase()} ${template} (${op.operationId})`,
      method: method as Operation['method'],
      path,
      query,
      body: media ? (exampleOf(media) ?? {}) : undefined,
      anyOf: security.map((req) => [...new Set(Object.entries(req).flatMap(([, scopes]) => scopes))] as Scope[]),
    });
  }
}

const ROLES = Object.keys(ROLE_SCOPES) as ClientRole[];

function allowed(role: ClientRole, op: Operation): boolean {
  return op.anyOf.some((scopes) => scopes.every((scope) => ROLE_SCOPES[role].includes(scope)));
}

describe('authorization matrix: every role × every protected operation of the contract', () => {
  let tsp: TestTsp;
  const tokens = {} as Record<ClientRole, string>;
  beforeAll(async () => {
    tsp = await startTestTsp();
    const parties = await createTestParties(tsp);
    const cof = await createTestClient(tsp, { role: 'cof_merchant', merchantIds: ['m-cof-1'] });
    const byRole: Record<ClientRole, TestClient> = {
      issuer: parties.issuerClient,
      wallet: parties.wallet,
      cof_merchant: cof,
      acquirer: parties.acquirer,
      admin: parties.admin,
    };
    for (const role of ROLES) tokens[role] = await tokenFor(tsp, byRole[role]);
  });
  afterAll(async () => {
    await tsp.services.identity.close();
    await tsp.close();
  });

  it('covers every protected operation and every role', () => {
    expect(operations.length).toBeGreaterThanOrEqual(40);
    expect(ROLES).toEqual(['issuer', 'wallet', 'cof_merchant', 'acquirer', 'admin']);
  });

  function call(op: Operation, token?: string) {
    let req = request(tsp.url)[op.method](op.path).query(op.query);
    if (token) req = req.set(bearer(token));
    return op.body === undefined ? req : req.send(op.body as object);
  }

  it.each(operations.map((op) => [op.name, op] as const))('%s', async (_name, op) => {
    const outcomes: Record<string, string> = {};
    const expected: Record<string, string> = {};
    const anonymous = await call(op);
    outcomes.anonymous = `${anonymous.status} ${anonymous.body.code}`;
    expected.anonymous = '401 unauthorized';
    for (const role of ROLES) {
      const res = await call(op, tokens[role]);
      const refused = res.status === 401 || res.body.code === 'insufficient_scope';
      outcomes[role] = refused ? `${res.status} ${res.body.code}` : 'allowed';
      expected[role] = allowed(role, op) ? 'allowed' : '403 insufficient_scope';
    }
    expect(outcomes).toEqual(expected);
  });
});
