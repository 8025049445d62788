import { ConflictError, ConnectionError, RateLimitError, ServerError } from './errors';

/**
 * When the SDK tries a call again. Every POST carries one `Idempotency-Key` for all its tries,
 * so a retry can never perform an operation twice: the TSP answers a repeat with the first
 * answer (`Idempotent-Replayed: true`).
 *
 * | outcome | retried? |
 * |---|---|
 * | network error, connection reset, per-try timeout | yes |
 * | caller's `AbortSignal` fired | never |
 * | 429 `rate_limited` | yes, after `Retry-After` |
 * | 500, 502, 503, 504 | yes, after `Retry-After` when given |
 * | 501 `not_implemented` | no (it will not start working) |
 * | 409 `idempotency_in_progress` | yes: the first try is still running; its answer will be replayed |
 * | any other 409 (`receipt_already_redeemed`, `atc_replayed`, `token_state_conflict`, …) | **no**: the state is final, a retry would only get the same answer or hide a replay |
 * | other 4xx | no |
 *
 * Delays grow exponentially with "equal jitter" (half fixed, half random; AWS Architecture
 * Blog, "Exponential Backoff and Jitter"), so clients that failed together do not come back
 * together. A `Retry-After` (RFC 9110 §10.2.3) is honoured as a floor; one longer than
 * `maxRetryAfterMs` is not waited for: the error goes to the caller with `retryAfterSeconds`.
 */
export interface RetryOptions {
  /** Retries after the first try (default 2, so at most 3 tries). 0 disables retries. */
  maxRetries: number;
  /** Delay before the first retry (default 500 ms); doubles each retry. */
  baseDelayMs: number;
  /** Cap on the computed delay (default 8 s). */
  maxDelayMs: number;
  /** Longest `Retry-After` the SDK waits for by itself (default 60 s). */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  maxRetries: 2,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
};

/** True when the failure may be retried (the table above), regardless of attempts left. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof ConnectionError) return error.code !== 'aborted';
  if (error instanceof RateLimitError) return true;
  if (error instanceof ConflictError) return error.code === 'idempotency_in_progress';
  if (error instanceof ServerError) return error.status !== 501 && error.code !== 'not_implemented';
  return false;
}

/**
 * Milliseconds to wait before retry number `retry` (0-based) of a failed try, or `undefined`
 * when the failure must go to the caller.
 *
 * @example
 * ```ts
 * const wait = retryDelayMs(err, 0, DEFAULT_RETRY); // ≈ 250–500 ms, or Retry-After
 * ```
 */
export function retryDelayMs(error: unknown, retry: number, options: RetryOptions, random: () => number = Math.random): number | undefined {
  if (retry >= options.maxRetries || !isRetryable(error)) return undefined;
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** retry);
  const jittered = exponential / 2 + random() * (exponential / 2);
  const retryAfter = error instanceof RateLimitError || error instanceof ServerError ? error.retryAfterSeconds : undefined;
  if (retryAfter === undefined) return jittered;
  const retryAfterMs = retryAfter * 1000;
  if (retryAfterMs > options.maxRetryAfterMs) return undefined;
  return Math.max(retryAfterMs, error instanceof RateLimitError ? 0 : jittered);
}

/** Waits `ms` milliseconds, or rejects with `ConnectionError('aborted')` when `signal` fires. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * Waits `ms`, or rejects with `ConnectionError('aborted')` as soon as `signal` fires.
 *
 * @example
 * ```ts
 * await sleep(250, options.signal);
 * ```
 */
export const sleep: Sleep = (ms, signal) => {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(signal));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
};

/** The error for a call the caller aborted. */
export function abortedError(signal: AbortSignal): ConnectionError {
  return new ConnectionError({ code: 'aborted', detail: 'The request was aborted by the caller.', cause: signal.reason });
}

