import { AuthenticationError, ConnectionError, IntegrationError, OpenTspError, errorFromResponse } from './errors';
import { randomUuid, type Clock } from './platform';
import type { CallInit, Method, Op, PathsWith, SuccessOf } from './operation-types';
import { attachLastResponse, lastResponseFrom, type LastResponse, type WithLastResponse } from './last-response';
import { DEFAULT_RETRY, abortedError, retryDelayMs, sleep, type RetryOptions, type Sleep } from './retry';
import { clientHeaders } from './user-agent';

export type { CallInit, Method, PathsWith, ResponseOf, BodyOf, QueryOf } from './operation-types';

/*
 * The transport: base URL, fetch, headers, Idempotency-Key, retries, per-try timeout, problem
 * parsing. It is typed purely from `paths` (generated from openapi/tsp.yaml): the path, its
 * parameters, the JSON body and the success body of a call all come from the contract, so a
 * contract change that breaks the SDK fails to compile here, not in a wallet app.
 */

/** Options of a single SDK call. */
export interface RequestOptions {
  /**
   * `Idempotency-Key` of a POST. Default: a random UUID per call, the same on every retry of
   * that call. Pass your own to make a call safe to repeat across app restarts.
   */
  idempotencyKey?: string;
  /** Cancels the call (and its retries); it then rejects with `ConnectionError` `aborted`. */
  signal?: AbortSignal;
  /** Timeout of each try in milliseconds (default: the client's `timeoutMs`, 30 s). */
  timeoutMs?: number;
  /** Retries for this call (default: the client's `retry.maxRetries`, 2). */
  maxRetries?: number;
  /** Your own `X-Request-Id` (visible ASCII, ≤ 128 characters) to correlate logs. */
  requestId?: string;
}

/** Options shared by every client (`WalletClient`, `IssuerClient`, `AcquirerClient`). */
export interface TransportOptions {
  /** Base URL of the TSP, e.g. `https://tsp.example.org` (no trailing path needed). */
  baseUrl: string;
  /** The `fetch` to use; default `globalThis.fetch` (Node ≥ 20, browsers, React Native). */
  fetch?: typeof fetch;
  /** Timeout of each try in milliseconds (default 30 000). */
  timeoutMs?: number;
  /** Retry policy (see retry.ts for what is retried). */
  retry?: Partial<RetryOptions>;
  /** Clock in ms since the epoch; for tests. */
  clock?: Clock;
  /**
   * How the SDK waits between retries (default: a timer that an abort cuts short). Tests pass
   * one that records the delay instead of waiting for a real `Retry-After`.
   */
  sleep?: Sleep;
}

/** A successful answer with the metadata callers sometimes need. */
export interface ApiResponse<T> {
  /** The parsed body; an object body carries the non-enumerable `lastResponse` too. */
  data: T extends object ? WithLastResponse<T> : T;
  status: number;
  requestId: string | undefined;
  /** `Idempotent-Replayed: true`: this answer is the stored answer of an earlier identical POST. */
  replayed: boolean;
  /** Status, request id, headers and replay flag of the answer (also on `data.lastResponse`). */
  lastResponse: LastResponse;
}

/** Supplies bearer access tokens and forgets one the TSP called expired (see auth.ts). */
export interface AccessTokenSource {
  token(signal?: AbortSignal): Promise<string>;
  /** Drops `token` from the cache if it is still the cached one. */
  invalidate(token: string): void;
}

/**
 * The current bearer token, from wherever the caller keeps it (a signed-in session, its own
 * OAuth client), or `undefined` to call without `Authorization` (the TSP then answers
 * `401 unauthorized`). Asked before every try, so a token renewed meanwhile is used.
 */
export type BearerTokenSource = (signal?: AbortSignal) => string | undefined | Promise<string | undefined>;

/** Options of an `HttpClient` built on its own (the high-level clients pass credentials instead). */
export interface HttpClientOptions extends TransportOptions {
  /**
   * Where the bearer token of authenticated calls comes from: a function returning the current
   * token, or an `AccessTokenSource` such as `ClientCredentialsAuth` (then an expired token is
   * dropped and the call retried once with a fresh one).
   */
  accessToken?: BearerTokenSource | AccessTokenSource;
}

/** A token source as the transport uses it; `invalidate` only where a fresh token can be had. */
interface TokenProvider {
  token(signal?: AbortSignal): Promise<string | undefined>;
  invalidate?(token: string): void;
}

/** @internal A request before typing: what the transport sends. */
export interface RawRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, unknown>;
  json?: unknown;
  form?: URLSearchParams;
  headers?: Record<string, string>;
  /** Send `Authorization: Bearer` from the token source (default true). */
  authenticate?: boolean;
}

/**
 * The HTTP layer every client is built on. Exposed for calls the high-level clients do not wrap,
 * and usable on its own with any bearer token (a console's signed-in session, for one).
 *
 * @example
 * ```ts
 * const { data } = await wallet.http.call('get', '/v1/tokens/{tokenRef}', { path: { tokenRef } });
 *
 * const http = new HttpClient({ baseUrl: location.origin, accessToken: () => session.accessToken() });
 * const { data: page } = await http.call('get', '/v1/issuer/tokens', { query: { cardRef } });
 * ```
 */
export class HttpClient {
  readonly baseUrl: string;
  readonly clock: Clock;
  #fetch: typeof fetch;
  #timeoutMs: number;
  #retry: RetryOptions;
  #auth: TokenProvider | undefined;
  #sleep: Sleep;

  constructor(options: HttpClientOptions) {
    if (!/^https?:\/\//i.test(options.baseUrl)) throw new TypeError('baseUrl must be an absolute http(s) URL');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    const globalFetch = (globalThis as { fetch?: typeof fetch }).fetch;
    // Bound: browsers refuse a `fetch` called with any `this` but the window ("Illegal invocation").
    const f = options.fetch ?? globalFetch?.bind(globalThis);
    if (!f) throw new TypeError('No fetch: pass options.fetch on platforms without a global fetch');
    this.#fetch = f;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.clock = options.clock ?? Date.now;
    this.#sleep = options.sleep ?? sleep;
    if (options.accessToken) this.useAuth(options.accessToken);
  }

  /** @internal Set once by the client that owns the credentials (or by `options.accessToken`). */
  useAuth(auth: BearerTokenSource | AccessTokenSource): void {
    if (typeof auth === 'function') {
      this.#auth = { token: async (signal) => auth(signal) };
    } else {
      this.#auth = { token: (signal) => auth.token(signal), invalidate: (token) => auth.invalidate(token) };
    }
  }

  /**
   * One operation of the contract, typed from `paths`.
   *
   * @example
   * ```ts
   * const { data: page } = await http.call('get', '/v1/tokens', { query: { walletAccountId: 'wa_1', limit: 20 } });
   * ```
   */
  async call<M extends Method, P extends PathsWith<M>>(
    method: M,
    path: P,
    init: CallInit<Op<P, M>> = {},
    options: RequestOptions = {},
  ): Promise<ApiResponse<SuccessOf<Op<P, M>>>> {
    const params = (init.path ?? {}) as Record<string, string>;
    const resolved = (path as string).replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = params[name];
      if (typeof value !== 'string' || value === '') throw new TypeError(`missing path parameter ${name}`);
      return encodeURIComponent(value);
    });
    return this.send(
      {
        method: method.toUpperCase() as RawRequest['method'],
        path: resolved,
        query: init.query as Record<string, unknown> | undefined,
        json: init.body,
        authenticate: !(path as string).startsWith('/.well-known/'),
      },
      options,
    );
  }

  /** @internal Sends with retries; resolves with the parsed success body or throws a typed error. */
  async send<T>(request: RawRequest, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    // One key for every try of this call: the TSP then runs the operation at most once.
    const idempotencyKey = request.method === 'POST' ? (options.idempotencyKey ?? randomUuid()) : undefined;
    const maxRetries = options.maxRetries ?? this.#retry.maxRetries;
    let refreshed = false;
    for (let retry = 0; ; retry++) {
      let accessToken: string | undefined;
      if (request.authenticate !== false) {
        if (!this.#auth) throw new TypeError('This client has no credentials for an authenticated call');
        // Outside the retry loop's catch: the token request has retried on its own already.
        accessToken = await raceAbort(this.#auth.token(options.signal), options.signal);
      }
      try {
        return await this.#attempt<T>(request, options, idempotencyKey, accessToken);
      } catch (error) {
        // RFC 6750 §3.1: an expired token is refreshed once, transparently; not counted as a retry.
        if (error instanceof AuthenticationError && error.code === 'token_expired' && accessToken && this.#auth?.invalidate && !refreshed) {
          refreshed = true;
          this.#auth.invalidate(accessToken);
          retry--;
          continue;
        }
        const delay = retryDelayMs(error, retry, { ...this.#retry, maxRetries });
        if (delay === undefined) throw error;
        await this.#sleep(delay, options.signal);
      }
    }
  }

  async #attempt<T>(
    request: RawRequest,
    options: RequestOptions,
    idempotencyKey: string | undefined,
    accessToken: string | undefined,
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...clientHeaders(), accept: 'application/json, application/problem+json', ...request.headers };
    if (accessToken) headers.authorization = `Bearer ${accessToken}`;
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    if (options.requestId) headers['x-request-id'] = options.requestId;
    let body: string | undefined;
    if (request.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = request.form.toString();
    } else if (request.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.json);
    }

    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = (): void => controller.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (options.signal?.aborted) throw abortedError(options.signal);
      const res = await this.#fetch(this.#url(request), { method: request.method, headers, body, signal: controller.signal });
      const text = await res.text();
      const parsed = parseJson(text, res.headers.get('content-type'));
      if (!res.ok) throw errorFromResponse(res.status, parsed, res.headers, this.clock());
      if (text !== '' && parsed === undefined) {
        throw new IntegrationError({ code: 'invalid_response', detail: `The TSP answered HTTP ${res.status} with a body that is not JSON.` });
      }
      const lastResponse = lastResponseFrom(res, idempotencyKey);
      return {
        data: attachLastResponse(parsed, lastResponse) as ApiResponse<T>['data'],
        status: res.status,
        requestId: lastResponse.requestId,
        replayed: lastResponse.idempotentReplayed,
        lastResponse,
      };
    } catch (error) {
      if (options.signal?.aborted) throw abortedError(options.signal);
      if (timedOut) throw new ConnectionError({ code: 'timeout', detail: `No answer from the TSP within ${timeoutMs} ms.`, cause: error });
      if (!(error instanceof OpenTspError) && isNetworkFailure(error)) {
        throw new ConnectionError({ code: 'network_error', detail: 'The TSP could not be reached or the connection broke.', cause: error });
      }
      throw error;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  #url(request: RawRequest): string {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined && value !== null) search.append(name, String(value));
    }
    const qs = search.toString();
    return `${this.baseUrl}${request.path}${qs ? `?${qs}` : ''}`;
  }
}

// fetch rejects with a TypeError ("fetch failed", "Network request failed") for every
// transport failure; everything else thrown in an attempt is already typed. By name, not
// instanceof: the fetch implementation may live in another realm (Node's undici, a polyfill).
function isNetworkFailure(error: unknown): boolean {
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  return name === 'TypeError' || name === 'AbortError';
}

function parseJson(text: string, contentType: string | null): unknown {
  if (text === '') return undefined;
  if (contentType && !/json/i.test(contentType)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Waits for `promise` unless `signal` fires first (the shared work itself is not cancelled). */
export function raceAbort<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortedError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortedError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
