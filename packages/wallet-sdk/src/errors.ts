import type { components } from '@opentsp/api-types';
import {
  codeForStatus,
  familyOf,
  familyOfStatus,
  statusOf,
  type ClientErrorCode,
  type CodesOf,
  type ErrorCode,
  type ErrorFamily,
  type ProblemCode,
} from './error-codes';

export type { ProblemCode, ClientErrorCode, ErrorCode, ErrorFamily } from './error-codes';
export type Problem = components['schemas']['Problem'];
export type ProblemFieldError = components['schemas']['ProblemFieldError'];
export type ReasonCode = components['schemas']['ReasonCode'];

/** What the SDK knows about a failure it detected itself (no HTTP answer behind it). */
export interface LocalFailure {
  code: ErrorCode;
  detail: string;
  cause?: unknown;
}

/**
 * The base of every error the SDK throws. Branch on `code` (a union the compiler checks),
 * never on `message`; `instanceof` a subclass picks a whole family.
 *
 * - Answers of the TSP (RFC 9457 problems) carry `status`, `requestId` and `problem`.
 * - Failures the SDK detects itself (network, timeout, a bad webhook signature, a forged push
 *   receipt) have `status` and `requestId` undefined; when the failure is one the contract
 *   names (e.g. `receipt_signature_invalid`), the same code is used, so one `switch` serves both.
 *
 * @example
 * ```ts
 * try { await wallet.getCard(tokenRef); }
 * catch (err) {
 *   if (err instanceof OpenTspError && err.code === 'token_not_found') showMissingCard();
 *   else throw err;
 * }
 * ```
 */
export class OpenTspError extends Error {
  override name = 'OpenTspError';
  readonly code: ErrorCode;
  /** HTTP status of the TSP's answer; undefined when the SDK detected the failure itself. */
  readonly status: number | undefined;
  /** `X-Request-Id` of the answer (quote it to the TSP operator); undefined for local failures. */
  readonly requestId: string | undefined;
  /** The problem document as received, when there was one. */
  readonly problem: Problem | undefined;

  constructor(problem: Problem | LocalFailure) {
    super(problem.detail ?? ('title' in problem ? problem.title : problem.code), 'cause' in problem ? { cause: problem.cause } : undefined);
    if ('status' in problem) {
      this.problem = problem;
      this.status = problem.status;
      this.requestId = problem.requestId || undefined;
    } else {
      this.problem = undefined;
      this.status = undefined;
      this.requestId = undefined;
    }
    this.code = problem.code;
  }
}

/** 400/405/413/415/422: the request is malformed or its content is refused (`errors[]` says where). */
export class ValidationError extends OpenTspError {
  override name = 'ValidationError';
  declare readonly code: CodesOf<'validation'>;
  /** With `validation_failed`, one entry per violation. */
  get errors(): ProblemFieldError[] {
    return this.problem?.errors ?? [];
  }
  /** With `otp_invalid`, how many codes may still be tried. */
  get attemptsRemaining(): number | undefined {
    return this.problem?.attemptsRemaining;
  }
}

/** 401: credentials missing, wrong or expired (the SDK already refreshed once for `token_expired`). */
export class AuthenticationError extends OpenTspError {
  override name = 'AuthenticationError';
  declare readonly code: CodesOf<'authentication'>;
  /** On `/oauth2/token` failures, the RFC 6749 §5.2 `error`. */
  get oauthError(): Problem['error'] {
    return this.problem?.error;
  }
}

/** 403: authenticated but not allowed (scope, tenancy, token domain, push receipt for someone else). */
export class PermissionError extends OpenTspError {
  override name = 'PermissionError';
  declare readonly code: CodesOf<'permission'>;
  get decisionId(): string | undefined {
    return this.problem?.decisionId;
  }
}

/** 403 red path: the issuer, its stand-in rules or the risk engine said no; `reasonCodes` say why. */
export class DeclinedError extends OpenTspError {
  override name = 'DeclinedError';
  declare readonly code: CodesOf<'declined'>;
  get reasonCodes(): ReasonCode[] {
    return this.problem?.reasonCodes ?? [];
  }
  get decisionId(): string | undefined {
    return this.problem?.decisionId;
  }
}

/** 404: no such object visible to the caller. */
export class NotFoundError extends OpenTspError {
  override name = 'NotFoundError';
  declare readonly code: CodesOf<'not_found'>;
}

/**
 * 409: the object's state does not allow the call. Only `idempotency_in_progress` is retried
 * by the SDK; every other 409 code is final (see retry.ts).
 */
export class ConflictError extends OpenTspError {
  override name = 'ConflictError';
  declare readonly code: CodesOf<'conflict'>;
}

/** 410: a one-time object expired (`receipt_expired`, `challenge_expired`). */
export class GoneError extends OpenTspError {
  override name = 'GoneError';
  declare readonly code: CodesOf<'gone'>;
}

/** Seconds from a `Retry-After` header, when there was one. */
interface RetryHint {
  readonly retryAfterSeconds: number | undefined;
}

/** 429 after the SDK's retries: slow down for `retryAfterSeconds`. */
export class RateLimitError extends OpenTspError implements RetryHint {
  override name = 'RateLimitError';
  declare readonly code: CodesOf<'rate_limit'>;
  retryAfterSeconds: number | undefined = undefined;
}

/** 5xx after the SDK's retries (`not_implemented` is never retried). */
export class ServerError extends OpenTspError implements RetryHint {
  override name = 'ServerError';
  declare readonly code: CodesOf<'server'>;
  retryAfterSeconds: number | undefined = undefined;
}

/** No answer: network failure, per-request timeout, or the caller's `AbortSignal`. */
export class ConnectionError extends OpenTspError {
  override name = 'ConnectionError';
  declare readonly code: 'network_error' | 'timeout' | 'aborted';
}

/** A webhook failed verification; answer it with 400 and do not trust its body. */
export class WebhookVerificationError extends OpenTspError {
  override name = 'WebhookVerificationError';
  declare readonly code: Extract<ClientErrorCode, `webhook_${string}`>;
}

/** The SDK cannot go on with what it was given or got back (bad deep link, no usable key …). */
export class IntegrationError extends OpenTspError {
  override name = 'IntegrationError';
  declare readonly code: 'invalid_response' | 'jwks_key_unavailable' | 'deep_link_invalid' | 'decryption_failed';
}

/**
 * Every error the SDK throws, as a union discriminated by `code`: in a `switch (err.code)`
 * each branch knows the class (e.g. `case 'provisioning_declined':` has `err.reasonCodes`).
 */
export type AnyOpenTspError =
  | ValidationError
  | AuthenticationError
  | PermissionError
  | DeclinedError
  | NotFoundError
  | ConflictError
  | GoneError
  | RateLimitError
  | ServerError
  | ConnectionError
  | WebhookVerificationError
  | IntegrationError;

/**
 * Narrows an unknown caught value to the SDK's error union.
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (!isOpenTspError(err)) throw err;
 *   switch (err.code) {
 *     case 'provisioning_declined': return showDeclined(err.reasonCodes);
 *     case 'rate_limited': return retryLater(err.retryAfterSeconds);
 *     default: throw err;
 *   }
 * }
 * ```
 */
export function isOpenTspError(value: unknown): value is AnyOpenTspError {
  return value instanceof OpenTspError;
}

/** True when a response body is an RFC 9457 problem from the TSP. */
export function isProblem(body: unknown): body is Problem {
  const b = body as Partial<Problem> | null;
  return !!b && typeof b === 'object' && typeof b.code === 'string' && typeof b.status === 'number';
}

const CLASSES: Record<ErrorFamily, new (problem: Problem | LocalFailure) => OpenTspError> = {
  validation: ValidationError,
  authentication: AuthenticationError,
  permission: PermissionError,
  declined: DeclinedError,
  not_found: NotFoundError,
  conflict: ConflictError,
  gone: GoneError,
  rate_limit: RateLimitError,
  server: ServerError,
};

/**
 * The typed error for an error answer of the TSP. A problem document picks its class by
 * `code`; a code this SDK version does not know, or a body that is no problem at all (an HTML
 * 502 from a proxy), picks it by HTTP status.
 *
 * @example
 * ```ts
 * const err = errorFromResponse(res.status, await res.json(), res.headers);
 * ```
 */
export function errorFromResponse(status: number, body: unknown, headers?: Headers, now: number = Date.now()): AnyOpenTspError {
  const requestId = headers?.get('x-request-id') ?? undefined;
  const problem: Problem = isProblem(body)
    ? { ...body, requestId: body.requestId ?? requestId ?? '' }
    : synthesizeProblem(status, requestId);
  const family = familyOf(problem.code) ?? familyOfStatus(problem.status);
  const error = new CLASSES[family](problem) as AnyOpenTspError;
  if (error instanceof RateLimitError || error instanceof ServerError) {
    error.retryAfterSeconds = parseRetryAfterSeconds(headers?.get('retry-after') ?? null, now);
  }
  return error;
}

/**
 * An error for a contract code the SDK detected before (or instead of) asking the TSP, e.g.
 * `receipt_signature_invalid` on a forged push receipt. `status`/`requestId` stay undefined.
 *
 * @example
 * ```ts
 * throw localProblem('receipt_expired', 'The push receipt expired; ask the bank app for a new one.');
 * ```
 */
export function localProblem(code: ProblemCode, detail: string, cause?: unknown): AnyOpenTspError {
  const family = familyOf(code) ?? familyOfStatus(statusOf(code));
  return new CLASSES[family]({ code, detail, cause }) as AnyOpenTspError;
}

/** Seconds of a `Retry-After` header (delta-seconds or HTTP-date, RFC 9110 §10.2.3). */
export function parseRetryAfterSeconds(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

function synthesizeProblem(status: number, requestId: string | undefined): Problem {
  const code = codeForStatus(status);
  return {
    type: `urn:opentsp:problem:${code}`,
    title: `HTTP ${status}`,
    status,
    detail: `The TSP answered HTTP ${status} without a problem document.`,
    code,
    requestId: requestId ?? '',
  };
}
