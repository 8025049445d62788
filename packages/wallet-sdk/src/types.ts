import type { Schema } from '@opentsp/api-types';

/*
 * Names for the contract's schemas that SDK users meet most. All are aliases of the types
 * generated from openapi/tsp.yaml; none is written by hand.
 */
export type Token = Schema<'Token'>;
export type TokenStatus = Schema<'TokenStatus'>;
export type TokenList = Schema<'TokenList'>;
export type TokenHistoryEntry = Schema<'TokenHistoryEntry'>;
export type TokenHistoryPage = Schema<'TokenHistoryPage'>;
export type Device = Schema<'Device'>;
/** Card or token expiry (valid through the end of `month`). */
export type Expiry = Schema<'Expiry'>;
export type Channel = Schema<'Channel'>;
export type TokenLocation = Schema<'TokenLocation'>;
export type LifecycleReason = Schema<'LifecycleReason'>;
export type LifecycleRequest = Schema<'LifecycleRequest'>;
export type VerificationMethod = Schema<'VerificationMethod'>;
export type Challenge = Schema<'Challenge'>;
export type ProvisionRequest = Schema<'ProvisionRequest'>;
export type RedeemPushReceiptRequest = Schema<'RedeemPushReceiptRequest'>;
export type PushReceipt = Schema<'PushReceipt'>;
export type PushReceiptClaims = Schema<'PushReceiptClaims'>;
export type CryptogramRequest = Schema<'CryptogramRequest'>;
export type PaymentCredentials = Schema<'PaymentCredentials'>;
export type Card = Schema<'Card'>;
export type CardTokensResult = Schema<'CardTokensResult'>;
export type CardLifecycleRequest = Schema<'CardLifecycleRequest'>;
export type CardUpdateResult = Schema<'CardUpdateResult'>;
export type CreateCardRequest = Schema<'CreateCardRequest'>;
export type CreatePushReceiptRequest = Schema<'CreatePushReceiptRequest'>;
export type PushTokenRequest = Schema<'PushTokenRequest'>;
export type TokenRequestor = Schema<'TokenRequestor'>;
export type DetokenizeRequest = Schema<'DetokenizeRequest'>;
export type DetokenizeResponse = Schema<'DetokenizeResponse'>;
export type OctJwk = Schema<'OctJwk'>;
export type Scope = Schema<'Scope'>;
/**
 * The bank side of provisioning (contract webhook `issuer.tokenActivationRequest`), for an
 * issuer implementing its decision endpoint: the request's `encryptedCard` is a JWE to the
 * issuer's registered `enc` key (PAN, expiry, CVV2); the answer says `expiryResult` and
 * `cvv2Result` (a `no_match` makes the TSP refuse with `card_verification_failed`; anything
 * but `cvv2Result: 'match'` never yields an `ACTIVE` token).
 */
export type TokenActivationRequest = Schema<'TokenActivationRequest'>;
export type TokenActivationResponse = Schema<'TokenActivationResponse'>;
export type CardVerificationResult = Schema<'CardVerificationResult'>;
