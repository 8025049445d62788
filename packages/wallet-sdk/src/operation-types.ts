import type { paths } from '@opentsp/api-types';

/*
 * Types that read an operation of openapi/tsp.yaml (via the generated `paths`): its path
 * parameters, query, JSON body and success body. The transport is typed with nothing else.
 */

export type Method = 'get' | 'post' | 'delete';
/** @internal The operation object of `M path`. */
export type Op<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
/** Paths of the contract that have method `M`. */
export type PathsWith<M extends Method> = {
  [P in keyof paths]: [NonNullable<paths[P][M]>] extends [never] ? never : P;
}[keyof paths];
type ParamsOf<O> = O extends { parameters: infer X } ? X : never;
type PathParams<O> = ParamsOf<O> extends { path: infer PP } ? PP : undefined;
type QueryParams<O> = ParamsOf<O> extends { query?: infer Q } ? Q : undefined;
type JsonBody<O> = O extends { requestBody: { content: { 'application/json': infer B } } }
  ? B
  : O extends { requestBody?: { content: { 'application/json': infer B } } }
    ? B | undefined
    : undefined;
/** @internal The JSON body of an operation's 2xx answer. */
export type SuccessOf<O> = O extends { responses: infer R }
  ? {
      [S in keyof R]: S extends 200 | 201 | 202
        ? R[S] extends { content: { 'application/json': infer B } }
          ? B
          : undefined
        : S extends 204
          ? undefined
          : never;
    }[keyof R]
  : never;

/** The request parts of an operation, typed from the contract. */
export interface CallInit<O> {
  path?: PathParams<O>;
  query?: QueryParams<O>;
  body?: JsonBody<O>;
}
/** The JSON body type of a success answer of `M path`. */
export type ResponseOf<M extends Method, P extends PathsWith<M>> = SuccessOf<Op<P, M>>;
/** The JSON request body type of `M path`. */
export type BodyOf<M extends Method, P extends PathsWith<M>> = NonNullable<JsonBody<Op<P, M>>>;
/** The query parameters of `M path`. */
export type QueryOf<M extends Method, P extends PathsWith<M>> = NonNullable<QueryParams<Op<P, M>>>;

