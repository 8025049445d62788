/**
 * GENERATED FILE - DO NOT EDIT.
 * Source: openapi/tsp.yaml. Regenerate with `pnpm gen`;
 * the test suite fails when this file is stale.
 */

/** The families problem codes fall into; the SDK has one error class per family. */
export type ProblemFamily = "validation" | "authentication" | "permission" | "declined" | "not_found" | "conflict" | "gone" | "rate_limit" | "server";

/** HTTP status, family and short title of every problem code (`x-opentsp-problem-codes`). */
export const PROBLEM_CODE_TABLE = {
  validation_failed: { status: 400, family: "validation", title: "Request does not match the contract" },
  malformed_json: { status: 400, family: "validation", title: "Malformed JSON" },
  cursor_invalid: { status: 400, family: "validation", title: "Pagination cursor invalid" },
  unauthorized: { status: 401, family: "authentication", title: "Authentication required" },
  invalid_client: { status: 401, family: "authentication", title: "Client authentication failed" },
  invalid_assertion: { status: 401, family: "authentication", title: "Invalid client assertion" },
  token_expired: { status: 401, family: "authentication", title: "Access token expired" },
  token_invalid: { status: 401, family: "authentication", title: "Access token invalid" },
  client_suspended: { status: 401, family: "authentication", title: "Client suspended" },
  invalid_grant: { status: 400, family: "validation", title: "Invalid grant" },
  unsupported_grant_type: { status: 400, family: "validation", title: "Unsupported grant type" },
  invalid_scope: { status: 400, family: "validation", title: "Invalid scope" },
  forbidden: { status: 403, family: "permission", title: "Forbidden" },
  insufficient_scope: { status: 403, family: "permission", title: "Insufficient scope" },
  cross_tenant_access: { status: 403, family: "permission", title: "Resource belongs to another party" },
  not_found: { status: 404, family: "not_found", title: "Not found" },
  method_not_allowed: { status: 405, family: "validation", title: "Method not allowed" },
  payload_too_large: { status: 413, family: "validation", title: "Payload too large" },
  unsupported_media_type: { status: 415, family: "validation", title: "Unsupported media type" },
  rate_limited: { status: 429, family: "rate_limit", title: "Too many requests" },
  internal_error: { status: 500, family: "server", title: "Internal error" },
  not_implemented: { status: 501, family: "server", title: "Not implemented" },
  service_unavailable: { status: 503, family: "server", title: "Service unavailable" },
  idempotency_key_reused: { status: 422, family: "validation", title: "Idempotency-Key reused with a different request" },
  idempotency_in_progress: { status: 409, family: "conflict", title: "Request with this Idempotency-Key in progress" },
  jwe_invalid: { status: 422, family: "validation", title: "Encrypted card data cannot be decrypted" },
  card_invalid_luhn: { status: 422, family: "validation", title: "Card number fails the Luhn check" },
  card_expired: { status: 422, family: "validation", title: "Card expired" },
  card_bin_unknown: { status: 422, family: "validation", title: "Card BIN not served by any issuer" },
  card_not_found: { status: 404, family: "not_found", title: "Card not found" },
  card_verification_failed: { status: 422, family: "validation", title: "Card data does not verify" },
  provisioning_declined: { status: 403, family: "declined", title: "Provisioning declined" },
  token_not_found: { status: 404, family: "not_found", title: "Token not found" },
  token_not_active: { status: 409, family: "conflict", title: "Token not active" },
  token_past_expiry: { status: 409, family: "conflict", title: "Token expired" },
  token_state_conflict: { status: 409, family: "conflict", title: "Token state does not allow this" },
  token_deleted: { status: 409, family: "conflict", title: "Token deleted" },
  token_expiry_mismatch: { status: 403, family: "permission", title: "Token expiry does not match" },
  token_range_exhausted: { status: 409, family: "conflict", title: "Token BIN range exhausted" },
  verification_method_unknown: { status: 422, family: "validation", title: "Unknown verification method" },
  verification_not_required: { status: 409, family: "conflict", title: "Token does not need verification" },
  challenge_not_found: { status: 404, family: "not_found", title: "Verification challenge not found" },
  challenge_expired: { status: 410, family: "gone", title: "Verification code expired" },
  challenge_locked: { status: 409, family: "conflict", title: "Verification challenge locked" },
  verification_locked: { status: 409, family: "conflict", title: "Verification locked for this token" },
  otp_invalid: { status: 422, family: "validation", title: "Verification code incorrect" },
  resend_limit_reached: { status: 409, family: "conflict", title: "Verification resend limit reached" },
  receipt_not_found: { status: 404, family: "not_found", title: "Push receipt not found" },
  receipt_expired: { status: 410, family: "gone", title: "Push receipt expired" },
  receipt_already_redeemed: { status: 409, family: "conflict", title: "Push receipt already redeemed" },
  receipt_wrong_requestor: { status: 403, family: "permission", title: "Push receipt is for another token requestor" },
  receipt_wrong_account: { status: 403, family: "permission", title: "Push receipt is for another wallet account" },
  receipt_signature_invalid: { status: 422, family: "validation", title: "Push receipt signature invalid" },
  requestor_not_found: { status: 422, family: "validation", title: "Token requestor not found" },
  requestor_not_eligible: { status: 403, family: "permission", title: "Token requestor not eligible" },
  cryptogram_invalid: { status: 403, family: "permission", title: "Cryptogram invalid" },
  atc_replayed: { status: 409, family: "conflict", title: "Cryptogram already used" },
  amount_mismatch: { status: 403, family: "permission", title: "Amount or currency differs from the cryptogram" },
  domain_channel_not_allowed: { status: 403, family: "permission", title: "Channel outside the token domain" },
  domain_merchant_not_allowed: { status: 403, family: "permission", title: "Merchant outside the token domain" },
  requestor_kind_not_allowed: { status: 403, family: "permission", title: "Token requestor kind not allowed" },
  detokenize_declined: { status: 403, family: "declined", title: "Detokenization declined" },
  risk_declined: { status: 403, family: "declined", title: "Declined by risk rules" },
  client_not_found: { status: 404, family: "not_found", title: "Client not found" },
  client_auth_method_mismatch: { status: 409, family: "conflict", title: "Client authentication method not registered" },
  issuer_not_found: { status: 404, family: "not_found", title: "Issuer not found" },
  bin_range_overlap: { status: 409, family: "conflict", title: "BIN range overlaps an existing range" },
  bin_range_in_use: { status: 409, family: "conflict", title: "BIN range in use" },
  rule_invalid: { status: 422, family: "validation", title: "Risk rule invalid" },
  rule_not_found: { status: 404, family: "not_found", title: "Risk rule not found" },
  decision_not_found: { status: 404, family: "not_found", title: "Risk decision not found" },
  key_rotation_in_progress: { status: 409, family: "conflict", title: "Key rotation in progress" },
  delivery_not_found: { status: 404, family: "not_found", title: "Webhook delivery not found" },
  delivery_in_progress: { status: 409, family: "conflict", title: "Webhook delivery in progress" },
} as const satisfies Record<string, { readonly status: number; readonly family: ProblemFamily; readonly title: string }>;

/** Every stable error code of the contract (enum `ProblemCode`). */
export type ContractProblemCode = keyof typeof PROBLEM_CODE_TABLE;

/** The OAuth2 scopes of the API (`components.securitySchemes.oauth2`), in contract order. */
export const OAUTH_SCOPES = ["tokens:provision", "tokens:read", "tokens:manage", "tokens:cryptogram", "push:create", "issuer:tokens", "issuer:cards", "detokenize", "admin"] as const;

/** One OAuth2 scope of the API. */
export type OAuthScope = (typeof OAUTH_SCOPES)[number];
