/**
 * @opentsp/wallet-sdk for browsers and React Native: the whole API on Web platform primitives
 * only (fetch, WebCrypto, TextEncoder); no Node built-in is imported here or below. A test
 * bundles this file with esbuild for `platform: 'browser'` to keep it that way.
 */
export { WalletClient, type WalletClientOptions, type LifecycleOptions } from './wallet-client';
export { IssuerClient, type CardSource, type CardLifecycleOptions, type TokenSearch } from './issuer-client';
export {
  AcquirerClient,
  type AcquirerClientOptions,
  type DetokenizeResult,
  type DetokenizedCard,
  type ResponseDecryptionKey,
  type OctDecryptionJwk,
  type RsaPrivateJwk,
} from './acquirer-client';
export type { ClientOptions } from './base-client';
export {
  HttpClient,
  type HttpClientOptions,
  type AccessTokenSource,
  type BearerTokenSource,
  type RequestOptions,
  type TransportOptions,
  type ApiResponse,
  type PathsWith,
  type ResponseOf,
  type BodyOf,
  type QueryOf,
} from './client';
export {
  ClientCredentialsAuth,
  type ClientCredentials,
  type ClientSecretCredentials,
  type PrivateKeyJwtCredentials,
  type EcPrivateJwk,
} from './auth';
export { DEFAULT_RETRY, isRetryable, type RetryOptions, type Sleep } from './retry';
export type { LastResponse, WithLastResponse } from './last-response';
export { SDK_VERSION } from './user-agent';
export {
  OpenTspError,
  ValidationError,
  AuthenticationError,
  PermissionError,
  DeclinedError,
  NotFoundError,
  ConflictError,
  GoneError,
  RateLimitError,
  ServerError,
  ConnectionError,
  WebhookVerificationError,
  IntegrationError,
  isOpenTspError,
  isProblem,
  errorFromResponse,
  type AnyOpenTspError,
  type Problem,
  type ProblemCode,
  type ClientErrorCode,
  type ErrorCode,
} from './errors';
export { JwksCache, staticJwks, type Jwks, type PublicJwk, type CardEncryptionAlg, type VerificationKeys } from './jwks';
export { encryptCard, type CardPlaintext } from './card-encryption';
export { AutoPager, type Page } from './pagination';
export { Pan } from './secret';
export {
  verifyWebhook,
  signTestWebhook,
  generateTestWebhookKey,
  tokenExpiryChange,
  SIGNATURE_HEADER,
  type WebhookEvent,
  type HeaderBag,
  type VerifyWebhookOptions,
  type SignedTestWebhook,
} from './webhooks';
export { VerificationSession, type ProvisionContext, type ProvisionResult } from './flows/provision';
export { parsePushReceiptLink, verifyPush, PUSH_RECEIPT_TYP, type PushReceiptLink, type VerifiedPush, type BindContext } from './flows/push-bind';
export type * from './types';
