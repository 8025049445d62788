import type { components } from '@opentsp/api-types';

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
export type ErrorFamily =
  | 'validation'
  | 'authentication'
  | 'permission'
  | 'declined'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'rate_limit'
  | 'server';

/**
 * The family and usual HTTP status of every contract code (the table under `ProblemCode` in
 * openapi/tsp.yaml). `satisfies Record<ProblemCode, …>` makes a new code in the contract a
 * compile error here until it is classified, and a removed one too.
 */
export const PROBLEM_CODES = {
  validation_failed: ['validation', 400],
  malformed_json: ['validation', 400],
  cursor_invalid: ['validation', 400],
  invalid_grant: ['validation', 400],
  unsupported_grant_type: ['validation', 400],
  invalid_scope: ['validation', 400],
  method_not_allowed: ['validation', 405],
  payload_too_large: ['validation', 413],
  unsupported_media_type: ['validation', 415],
  idempotency_key_reused: ['validation', 422],
  jwe_invalid: ['validation', 422],
  card_invalid_luhn: ['validation', 422],
  card_expired: ['validation', 422],
  card_bin_unknown: ['validation', 422],
  card_verification_failed: ['validation', 422],
  verification_method_unknown: ['validation', 422],
  otp_invalid: ['validation', 422],
  receipt_signature_invalid: ['validation', 422],
  requestor_not_found: ['validation', 422],
  rule_invalid: ['validation', 422],
  unauthorized: ['authentication', 401],
  invalid_client: ['authentication', 401],
  invalid_assertion: ['authentication', 401],
  token_expired: ['authentication', 401],
  token_invalid: ['authentication', 401],
  client_suspended: ['authentication', 401],
  forbidden: ['permission', 403],
  insufficient_scope: ['permission', 403],
  cross_tenant_access: ['permission', 403],
  receipt_wrong_requestor: ['permission', 403],
  receipt_wrong_account: ['permission', 403],
  requestor_not_eligible: ['permission', 403],
  cryptogram_invalid: ['permission', 403],
  token_expiry_mismatch: ['permission', 403],
  amount_mismatch: ['permission', 403],
  domain_channel_not_allowed: ['permission', 403],
  domain_merchant_not_allowed: ['permission', 403],
  requestor_kind_not_allowed: ['permission', 403],
  provisioning_declined: ['declined', 403],
  detokenize_declined: ['declined', 403],
  risk_declined: ['declined', 403],
  not_found: ['not_found', 404],
  card_not_found: ['not_found', 404],
  token_not_found: ['not_found', 404],
  challenge_not_found: ['not_found', 404],
  receipt_not_found: ['not_found', 404],
  client_not_found: ['not_found', 404],
  issuer_not_found: ['not_found', 404],
  rule_not_found: ['not_found', 404],
  decision_not_found: ['not_found', 404],
  delivery_not_found: ['not_found', 404],
  idempotency_in_progress: ['conflict', 409],
  token_not_active: ['conflict', 409],
  token_past_expiry: ['conflict', 409],
  token_state_conflict: ['conflict', 409],
  token_deleted: ['conflict', 409],
  token_range_exhausted: ['conflict', 409],
  verification_not_required: ['conflict', 409],
  challenge_locked: ['conflict', 409],
  verification_locked: ['conflict', 409],
  resend_limit_reached: ['conflict', 409],
  receipt_already_redeemed: ['conflict', 409],
  atc_replayed: ['conflict', 409],
  client_auth_method_mismatch: ['conflict', 409],
  bin_range_overlap: ['conflict', 409],
  bin_range_in_use: ['conflict', 409],
  key_rotation_in_progress: ['conflict', 409],
  delivery_in_progress: ['conflict', 409],
  challenge_expired: ['gone', 410],
  receipt_expired: ['gone', 410],
  rate_limited: ['rate_limit', 429],
  internal_error: ['server', 500],
  not_implemented: ['server', 501],
  service_unavailable: ['server', 503],
} as const satisfies Record<ProblemCode, readonly [ErrorFamily, number]>;

type Table = typeof PROBLEM_CODES;
/** The contract codes of one family, e.g. `CodesOf<'conflict'>` = `'token_not_active' | …`. */
export type CodesOf<F extends ErrorFamily> = { [C in keyof Table]: Table[C][0] extends F ? C : never }[keyof Table];

/** The family of a code, or `undefined` for a code this SDK version does not know. */
export function familyOf(code: string): ErrorFamily | undefined {
  return (PROBLEM_CODES as Record<string, readonly [ErrorFamily, number]>)[code]?.[0];
}

/** The usual HTTP status of a contract code (for problems the SDK detects before calling). */
export function statusOf(code: ProblemCode): number {
  return PROBLEM_CODES[code][1];
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
