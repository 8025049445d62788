import fc, { type Arbitrary } from 'fast-check';
import { deepValue, hostileString, rawBodyGarbage, toJson, wrongContentType, wrongTypeValue } from './hostile-inputs';
import { schemaArbitrary } from './schema-arbitrary';
import type { Operation, Schema } from './spec-model';

/** One HTTP request the fuzzer sends, with a label saying how it was made (for the report). */
export interface FuzzRequest {
  method: string;
  /** Path and query, already encoded. */
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** e.g. `valid`, `mutated:wrong-type`, `auth:tampered`. */
  kind: string;
}

/** Credentials the fuzzer may present: a real access token per role, plus Basic credentials for /oauth2/token. */
export interface FuzzCredentials {
  /** Access token of a client that holds each scope. */
  tokenForScope: Record<string, string>;
  /** A real token of some other role (to hit 403 paths). */
  anyTokens: string[];
  basic: string[];
}

/** Real ids to plant in path parameters, by parameter name, so handlers get past "not found". */
export type KnownIds = Record<string, string[]>;

type Mutation = (value: unknown) => Arbitrary<unknown>;

function nodePaths(value: unknown, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(prefix);
  if (prefix.length > 6) return out;
  if (Array.isArray(value)) value.forEach((v, i) => nodePaths(v, [...prefix, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) nodePaths(v, [...prefix, k], out);
  return out;
}

function setAt(root: unknown, path: Array<string | number>, next: unknown, remove = false): unknown {
  if (path.length === 0) return next;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let parent = copy;
  for (const part of path.slice(0, -1)) parent = parent[part] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (remove && !Array.isArray(parent)) delete parent[last];
  else parent[last] = next;
  return copy;
}

/** One structural mutation at a random node: wrong type, hostile string, missing field, unknown field, deep nesting. */
const mutate: Mutation = (value) =>
  fc.tuple(fc.nat(), fc.constantFrom('wrong-type', 'hostile', 'remove', 'extra-field', 'deep')).chain(([pick, how]) => {
    const paths = nodePaths(value);
    const path = paths[pick % paths.length] as Array<string | number>;
    switch (how) {
      case 'wrong-type':
        return wrongTypeValue.map((v) => setAt(value, path, v));
      case 'hostile':
        return hostileString.map((v) => setAt(value, path, v));
      case 'remove':
        return fc.constant(path.length ? setAt(value, path, undefined, true) : {});
      case 'extra-field':
        return fc.tuple(hostileString, wrongTypeValue).map(([k, v]) =>
          value && typeof value === 'object' && !Array.isArray(value) ? { ...(value as object), [k || 'x']: v } : value,
        );
      default:
        return deepValue.map((v) => setAt(value, path, v));
    }
  });

function urlSafeLength(arb: Arbitrary<string>): Arbitrary<string> {
  return arb.map((s) => s.slice(0, 1_500));
}

function paramValue(schema: Schema, name: string, resolve: (s: unknown) => Schema, known: KnownIds): Arbitrary<string> {
  const valid = schemaArbitrary(schema, resolve, 'valid').map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  const options: Array<fc.WeightedArbitrary<string>> = [
    { weight: 4, arbitrary: valid },
    // URLs stay under Node's 16 KiB header limit: past it Node itself answers 431 (hardening test).
    { weight: 2, arbitrary: urlSafeLength(hostileString) },
    { weight: 1, arbitrary: schemaArbitrary(schema, resolve, 'boundary').map((v) => (typeof v === 'string' ? v : JSON.stringify(v))) },
  ];
  const ids = known[name];
  if (ids?.length) options.push({ weight: 6, arbitrary: fc.constantFrom(...ids) });
  return fc.oneof(...options);
}

function authHeaders(op: Operation, creds: FuzzCredentials): Arbitrary<{ headers: Record<string, string>; kind: string }> {
  const right = op.scopes.map((s) => creds.tokenForScope[s]).filter((t): t is string => Boolean(t));
  const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
  const options: Array<fc.WeightedArbitrary<{ headers: Record<string, string>; kind: string }>> = [
    { weight: 1, arbitrary: fc.constant({ headers: {}, kind: 'auth:none' }) },
    { weight: 1, arbitrary: fc.constantFrom(...creds.anyTokens).map((t) => ({ headers: bearer(t), kind: 'auth:other-role' })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...creds.anyTokens).chain((t) =>
        fc.nat({ max: t.length - 1 }).map((i) => ({ headers: bearer(t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1)), kind: 'auth:tampered' })),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.oneof(
        urlSafeLength(hostileString).filter((s) => /^[\x21-\x7e ]*$/.test(s)).map((s) => ({ headers: { Authorization: `Bearer ${s}` }, kind: 'auth:garbage' })),
        fc.constantFrom(
          { headers: { Authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwic2NvcGUiOiJhZG1pbiJ9.' }, kind: 'auth:alg-none' },
          { headers: { Authorization: 'Basic Og==' }, kind: 'auth:basic-empty' },
          { headers: { Authorization: 'Bearer' }, kind: 'auth:empty' },
          { headers: { Authorization: `Bearer ${'a'.repeat(8_000)}` }, kind: 'auth:huge' },
        ),
      ),
    },
  ];
  if (right.length) options.push({ weight: 8, arbitrary: fc.constantFrom(...right).map((t) => ({ headers: bearer(t), kind: 'auth:ok' })) });
  if (op.path === '/oauth2/token') options.push({ weight: 8, arbitrary: fc.constantFrom(...creds.basic).map((b) => ({ headers: { Authorization: b }, kind: 'auth:basic' })) });
  return fc.oneof(...options);
}

/** encodeURIComponent that does not throw on lone surrogates (they become U+FFFD, as a browser sends them). */
function encodePathSegment(value: string): string {
  return encodeURIComponent(value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
}

function encodeBody(value: unknown, contentType: string): string {
  if (contentType === 'application/x-www-form-urlencoded' && value && typeof value === 'object') {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(value)) form.append(k, typeof v === 'string' ? v : toJson(v));
    return form.toString();
  }
  return toJson(value);
}

/** Requests for one operation: valid, boundary and mutated, with good, bad and no credentials. */
export function requestArbitrary(op: Operation, resolve: (s: unknown) => Schema, creds: FuzzCredentials, known: KnownIds): Arbitrary<FuzzRequest> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const pathArb = fc.tuple(...pathParams.map((p) => paramValue(p.schema, p.name, resolve, known))).map((values) =>
    pathParams.reduce((path, p, i) => path.replace(`{${p.name}}`, encodePathSegment(values[i] as string)), op.path),
  );
  const queryArb = fc
    .tuple(
      ...queryParams.map((p) => fc.option(paramValue(p.schema, p.name, resolve, known), { freq: p.required ? 10 : 2 })),
      fc.option(fc.tuple(urlSafeLength(hostileString), urlSafeLength(hostileString)), { freq: 8 }),
    )
    .map((values) => {
      const q = new URLSearchParams();
      queryParams.forEach((p, i) => {
        const v = values[i];
        if (typeof v === 'string') q.append(p.name, v);
      });
      const extra = values[queryParams.length] as [string, string] | null;
      if (extra) q.append(extra[0] || 'x', extra[1]);
      const s = q.toString();
      return s ? `?${s}` : '';
    });
  const contentType = op.body?.contentTypes[0] ?? 'application/json';
  const validBody = op.body ? schemaArbitrary(op.body.schema, resolve, 'valid') : fc.constant(undefined);
  const bodyArb: Arbitrary<{ body?: string; contentType?: string; kind: string }> = op.body
    ? fc.oneof(
        { weight: 4, arbitrary: validBody.map((v) => ({ body: encodeBody(v, contentType), contentType, kind: 'valid' })) },
        { weight: 2, arbitrary: schemaArbitrary(op.body.schema, resolve, 'boundary').map((v) => ({ body: encodeBody(v, contentType), contentType, kind: 'boundary' })) },
        { weight: 4, arbitrary: validBody.chain(mutate).map((v) => ({ body: encodeBody(v, contentType), contentType, kind: 'mutated' })) },
        { weight: 1, arbitrary: rawBodyGarbage.map((b) => ({ body: b, contentType, kind: 'garbage-body' })) },
        { weight: 1, arbitrary: fc.tuple(validBody, wrongContentType).map(([v, ct]) => ({ body: toJson(v), ...(ct ? { contentType: ct } : {}), kind: 'wrong-content-type' })) },
        { weight: 1, arbitrary: fc.constant({ kind: 'no-body' }) },
      )
    : fc.oneof({ weight: 6, arbitrary: fc.constant({ kind: 'valid' }) }, { weight: 1, arbitrary: rawBodyGarbage.map((b) => ({ body: b, contentType: 'application/json', kind: 'unexpected-body' })) });
  const idempotencyArb = fc.option(fc.oneof(fc.uuid(), urlSafeLength(hostileString).filter((s) => /^[\x20-\x7e]*$/.test(s))), { freq: 2 });
  return fc.tuple(pathArb, queryArb, bodyArb, authHeaders(op, creds), idempotencyArb).map(([path, query, body, auth, idem]) => {
    const headers: Record<string, string> = { ...auth.headers };
    if (body.contentType && body.body !== undefined) headers['Content-Type'] = body.contentType;
    if (idem !== null && op.method === 'post') headers['Idempotency-Key'] = idem;
    return {
      method: op.method.toUpperCase(),
      url: `${path}${query}`,
      headers,
      ...(body.body !== undefined ? { body: body.body } : {}),
      kind: `${body.kind} ${auth.kind}`,
    };
  });
}
