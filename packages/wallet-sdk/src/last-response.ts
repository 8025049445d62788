/*
 * `lastResponse` on every result, as stripe-node has it: the HTTP facts of the answer a result
 * came from (status, request id to quote to the operator, whether it was an idempotent replay),
 * without changing the result itself. It is a non-enumerable property, so `JSON.stringify`,
 * spreading, `Object.keys` and deep-equality checks see exactly the contract's object.
 */

/** The HTTP answer a result came from. */
export interface LastResponse {
  /** HTTP status, e.g. 200 or 201. */
  statusCode: number;
  /** `X-Request-Id` of the answer: quote it to the TSP operator. */
  requestId: string | undefined;
  /** The answer's headers, names in lower case. */
  headers: Record<string, string>;
  /** The `Idempotency-Key` the SDK sent (POST only): the same on every retry of the call. */
  idempotencyKey?: string;
  /** `Idempotent-Replayed: true`: the TSP answered with the stored answer of an earlier identical POST. */
  idempotentReplayed: boolean;
}

/** A result with the HTTP answer it came from. */
export type WithLastResponse<T> = T & { readonly lastResponse: LastResponse };

/**
 * Attaches `response` to `target` as a non-enumerable `lastResponse` (objects only) and
 * returns `target`.
 *
 * @example
 * ```ts
 * const token = attachLastResponse(data, response); // token.lastResponse.statusCode === 200
 * ```
 */
export function attachLastResponse<T>(target: T, response: LastResponse | undefined): WithLastResponse<T> {
  if (response && typeof target === 'object' && target !== null) {
    Object.defineProperty(target, 'lastResponse', { value: response, enumerable: false, configurable: true, writable: false });
  }
  return target as WithLastResponse<T>;
}

/** The `lastResponse` of a result, if it has one. */
export function lastResponseOf(result: unknown): LastResponse | undefined {
  return typeof result === 'object' && result !== null ? (result as { lastResponse?: LastResponse }).lastResponse : undefined;
}

/** Builds the `LastResponse` of a fetch `Response`. */
export function lastResponseFrom(res: Response, idempotencyKey: string | undefined): LastResponse {
  const headers: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  return {
    statusCode: res.status,
    requestId: headers['x-request-id'],
    headers,
    ...(idempotencyKey ? { idempotencyKey } : {}),
    idempotentReplayed: headers['idempotent-replayed'] === 'true',
  };
}
