import type { components } from '@opentsp/api-types';
import { PROBLEM_CODE_TABLE, type ProblemFamily } from '@opentsp/api-types/contract-tables';

/** Every stable error code the TSP can return (enum `ProblemCode` in openapi/tsp.yaml). */
export type ProblemCode = components['schemas']['ProblemCode'];

/**
 * Codes the SDK raises itself, for failures that never reached (or never came back from) the
 * TSP. Kept apart from `ProblemCode` so they can never collide with a contract code.
 */
export type ClientErrorCode =
  /** The TSP could not be reached, or the connection broke before an answer. */
  | 'network_error'
  /** No answer within the per-request timeout. */
  | 'timeout'
  /** The caller's `AbortSignal` fired. */
  | 'aborted'
  /** The TSP answered something that is not the contract (e.g. non-JSON on success). */
  | 'invalid_response'
  /** The TSP's JWKS has no usable key for the job (e.g. no `enc` key). */
  | 'jwks_key_unavailable'
  /** A webhook body was passed as a parsed object instead of the raw bytes. */
  | 'webhook_body_not_raw'
  /** `OpenTSP-Signature` is missing, malformed or does not verify over the raw body. */
  | 'webhook_signature_invalid'
  /** The signature's `iat` is more than the tolerance (5 minutes) away from the clock. */
  | 'webhook_timestamp_out_of_range'
  /** The signature's `kid` is not in the TSP's JWKS, even after a refresh. */
  | 'webhook_key_unknown'
  /** A deep link or receipt object does not carry a push receipt and its signed payload. */
  | 'deep_link_invalid'
  /** The acquirer's key cannot decrypt the detokenize answer (wrong key, tampered JWE). */
  | 'decryption_failed';

/** What `OpenTspError.code` can be: a contract code, or one of the SDK's own. */
export type ErrorCode = ProblemCode | ClientErrorCode;

/** Error families; each maps to one error class (see errors.ts). */
export type ErrorFamily = ProblemFamily;

/*
 * The family and usual HTTP status of every contract code come from the table generated from
 * openapi/tsp.yaml (`x-opentsp-problem-codes`, `pnpm gen`), the same one the TSP answers with.
 * The SDK's build inlines that table (scripts/build.mjs), so the published package needs no
 * run-time dependency for it. `satisfies` makes a code of the `ProblemCode` enum that the table
 * lacks a compile error here.
 */
const TABLE = PROBLEM_CODE_TABLE satisfies Record<ProblemCode, { family: ErrorFamily; status: number }>;
type Table = typeof TABLE;
/** The contract codes of one family, e.g. `CodesOf<'conflict'>` = `'token_not_active' | …`. */
export type CodesOf<F extends ErrorFamily> = { [C in keyof Table]: Table[C]['family'] extends F ? C : never }[keyof Table];

/** The family of a code, or `undefined` for a code this SDK version does not know. */
export function familyOf(code: string): ErrorFamily | undefined {
  return (TABLE as Record<string, { family: ErrorFamily } | undefined>)[code]?.family;
}

/** The usual HTTP status of a contract code (for problems the SDK detects before calling). */
export function statusOf(code: ProblemCode): number {
  return TABLE[code].status;
}

/** The family of an HTTP status, for answers whose `code` is missing or unknown. */
export function familyOfStatus(status: number): ErrorFamily {
  if (status === 401) return 'authentication';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 410) return 'gone';
  if (status === 429) return 'rate_limit';
  if (status >= 500) return 'server';
  return 'validation';
}

/** A contract code to stand for a non-problem error answer (e.g. an HTML 502 from a proxy). */
export function codeForStatus(status: number): ProblemCode {
  const byStatus: Record<number, ProblemCode> = {
    400: 'validation_failed',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not_found',
    405: 'method_not_allowed',
    413: 'payload_too_large',
    415: 'unsupported_media_type',
    429: 'rate_limited',
    501: 'not_implemented',
    502: 'service_unavailable',
    503: 'service_unavailable',
    504: 'service_unavailable',
  };
  return byStatus[status] ?? (status >= 500 ? 'internal_error' : 'validation_failed');
}
