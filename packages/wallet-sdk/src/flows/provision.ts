import { withEncryptedCard, type CardEncryptionOptions, type CardPlaintext } from '../card-encryption';
import type { HttpClient, RequestOptions } from '../client';
import type { JwksCache } from '../jwks';
import { attachLastResponse, lastResponseOf, type WithLastResponse } from '../last-response';
import type { Challenge, ProvisionRequest, Token, VerificationMethod } from '../types';

/** Where and for what the token is provisioned: `ProvisionRequest` without the card. */
export type ProvisionContext = Omit<ProvisionRequest, 'encryptedCard'>;

/**
 * What provisioning gave: an `ACTIVE` token (green path), or an `INACTIVE` token with the ID&V
 * step-up to perform (yellow path). A decline (red path) is thrown as `DeclinedError`
 * `provisioning_declined` with `reasonCodes`.
 */
export type ProvisionResult =
  | { outcome: 'active'; token: Token }
  | { outcome: 'verification_required'; token: Token; verification: VerificationSession }
  /** Neither active nor awaiting ID&V (e.g. suspended at once by the issuer); show `token.status`. */
  | { outcome: 'pending'; token: Token };

/**
 * The ID&V step-up of an `INACTIVE` token: show `methods` (with their masked destinations),
 * `start` the one the cardholder picks, then `confirm` the code they type.
 *
 * @example
 * ```ts
 * const challenge = await verification.start(verification.methods[0].id); // code sent
 * const token = await verification.confirm('482913');                       // token ACTIVE
 * ```
 */
export class VerificationSession {
  readonly tokenRef: string;
  readonly methods: VerificationMethod[];
  /** The open challenge after `start`. */
  challenge: Challenge | undefined;
  readonly #http: HttpClient;

  constructor(http: HttpClient, token: Token) {
    this.#http = http;
    this.tokenRef = token.tokenRef;
    this.methods = token.verification?.methods ?? [];
  }

  /**
   * Starts ID&V with a method (the issuer sends a code). Calling again with the same method
   * re-sends a code on the same challenge (`resendsRemaining` decreases).
   *
   * @example
   * ```ts
   * const { maskedDestination } = (await verification.start('idv_sms_1')).method;
   * ```
   * @throws ValidationError `verification_method_unknown`; ConflictError `resend_limit_reached`, `verification_locked`, `challenge_locked`; RateLimitError `rate_limited` (too many codes sent for the token).
   */
  async start(methodId: string, options?: RequestOptions): Promise<WithLastResponse<Challenge>> {
    const { data } = await this.#http.call(
      'post',
      '/v1/tokens/{tokenRef}/verification',
      { path: { tokenRef: this.tokenRef }, body: { methodId } },
      options,
    );
    this.challenge = data;
    return data;
  }

  /**
   * Submits the code the cardholder typed; resolves with the now `ACTIVE` token.
   *
   * @example
   * ```ts
   * try { await verification.confirm(code); }
   * catch (e) { if (e instanceof ValidationError && e.code === 'otp_invalid') showTriesLeft(e.attemptsRemaining); }
   * ```
   * @throws ValidationError `otp_invalid` (with `attemptsRemaining`, counted per token); ConflictError `verification_locked` (the token was deleted after too many wrong codes), `challenge_locked`; GoneError `challenge_expired`.
   */
  async confirm(code: string, options?: RequestOptions): Promise<WithLastResponse<Token>> {
    if (!this.challenge) throw new TypeError('Call start(methodId) before confirm(code)');
    const { data } = await this.#http.call(
      'post',
      '/v1/tokens/{tokenRef}/verification/confirm',
      { path: { tokenRef: this.tokenRef }, body: { challengeId: this.challenge.challengeId, code } },
      options,
    );
    return data;
  }
}

/** @internal The outcome of a token answer (provisioning, or a token read back later). */
export function provisionResult(http: HttpClient, token: Token): ProvisionResult {
  if (token.status === 'ACTIVE') return { outcome: 'active', token };
  if (token.status === 'INACTIVE' && token.verification?.required) {
    return { outcome: 'verification_required', token, verification: new VerificationSession(http, token) };
  }
  return { outcome: 'pending', token };
}

/** @internal `POST /v1/tokens` with card data encrypted to the TSP (see WalletClient.provisionCard). */
export async function provisionCard(
  http: HttpClient,
  jwks: JwksCache,
  card: CardPlaintext,
  context: ProvisionContext,
  options: RequestOptions & Pick<CardEncryptionOptions, 'algorithms'> = {},
): Promise<WithLastResponse<ProvisionResult>> {
  const token = await withEncryptedCard(
    card,
    jwks,
    { algorithms: options.algorithms, clock: http.clock, signal: options.signal },
    async (encryptedCard, idempotencyKey) =>
      (await http.call('post', '/v1/tokens', { body: { ...context, encryptedCard } }, { ...options, idempotencyKey })).data,
    options.idempotencyKey,
  );
  // The result is built here, so it gets the answer's lastResponse too (the token has it already).
  return attachLastResponse(provisionResult(http, token), lastResponseOf(token));
}
