import type { paths } from '@opentsp/api-types';
import { session } from './session';

/*
 * The console's REST client: same origin, bearer token from the session, typed purely from the
 * contract's generated `paths` (like openapi-fetch): a path, its parameters, body and answer
 * come from openapi/tsp.yaml, so a contract change that breaks a page fails `typecheck`.
 */

type Method = 'get' | 'post';
type Op<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
/** Paths of the contract that have method `M`. */
export type PathsWith<M extends Method> = {
  [P in keyof paths]: [NonNullable<paths[P][M]>] extends [never] ? never : P;
}[keyof paths];
type Params<O> = O extends { parameters: infer X } ? X : never;
type PathParams<O> = Params<O> extends { path: infer PP } ? PP : never;
type QueryParams<O> = Params<O> extends { query?: infer Q } ? Q : never;
type JsonBody<O> = O extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
type Success<O> = O extends { responses: infer R }
  ? { [S in keyof R]: S extends 200 | 201 | 202 ? (R[S] extends { content: { 'application/json': infer B } } ? B : never) : never }[keyof R]
  : never;

/** The request parts of an operation. */
export interface Init<O> {
  path?: PathParams<O>;
  query?: QueryParams<O>;
  body?: JsonBody<O>;
}
/** The success body of `M path`. */
export type ResponseOf<M extends Method, P extends PathsWith<M>> = Success<Op<P, M>>;
/** The query of `M path`. */
export type QueryOf<M extends Method, P extends PathsWith<M>> = NonNullable<QueryParams<Op<P, M>>>;

/** An RFC 9457 problem the TSP answered with (the console shows `title`, `detail`, `code`, `requestId`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly requestId: string | undefined,
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

/**
 * One operation of the contract with the session's access token.
 *
 * @example
 * ```ts
 * const page = await api('get', '/v1/issuer/tokens', { query: { cardRef } });
 * ```
 */
export async function api<M extends Method, P extends PathsWith<M>>(method: M, path: P, init: Init<Op<P, M>> = {}): Promise<ResponseOf<M, P>> {
  const params = (init.path ?? {}) as Record<string, string>;
  const resolved = (path as string).replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries((init.query ?? {}) as Record<string, unknown>)) {
    if (value !== undefined && value !== null && value !== '') query.set(name, String(value));
  }
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = session.accessToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (method === 'post') {
    headers['content-type'] = 'application/json';
    // One key per user action: a double-click or a retried request changes the token once.
    headers['idempotency-key'] = crypto.randomUUID();
  }
  const response = await fetch(`${resolved}${query.size ? `?${query}` : ''}`, {
    method: method.toUpperCase(),
    headers,
    body: method === 'post' ? JSON.stringify(init.body ?? {}) : undefined,
    credentials: 'omit',
  });
  return readAnswer<ResponseOf<M, P>>(response);
}

/** The JSON body of a 2xx answer, or an `ApiError` from the problem; a 401 ends the session. */
export async function readAnswer<T>(response: Response): Promise<T> {
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (response.ok) return body as T;
  const problem = (body ?? {}) as { code?: string; detail?: string; title?: string; requestId?: string };
  if (response.status === 401) session.expire();
  throw new ApiError(
    response.status,
    problem.code ?? `http_${response.status}`,
    problem.detail ?? problem.title ?? response.statusText,
    problem.requestId ?? response.headers.get('x-request-id') ?? undefined,
  );
}

/** Every page of a cursor-paginated list (`{ data, nextCursor }`), up to `max` items. */
export async function allPages<T>(fetchPage: (cursor?: string) => Promise<{ data: T[]; nextCursor?: string | null }>, max = 500): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    items.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && items.length < max);
  return items;
}
