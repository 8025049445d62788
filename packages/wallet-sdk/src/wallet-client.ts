import { BaseClient, type ClientOptions } from './base-client';
import type { CardEncryptionAlg } from './jwks';
import type { CardPlaintext } from './card-encryption';
import type { QueryOf, RequestOptions } from './client';
import { provisionCard, provisionResult, type ProvisionContext, type ProvisionResult, VerificationSession } from './flows/provision';
import { bindWithPushReceipt, parsePushReceiptLink, verifyPush, type BindContext, type PushReceiptLink, type VerifiedPush } from './flows/push-bind';
import { getPaymentCredentials } from './flows/payments';
import type { WithLastResponse } from './last-response';
import { AutoPager } from './pagination';
import type { CryptogramRequest, LifecycleReason, PaymentCredentials, Token, TokenStatus } from './types';
import { verifyWebhook, type HeaderBag, type WebhookEvent } from './webhooks';

export interface WalletClientOptions extends ClientOptions {
  /** This wallet's TRID; when set, push receipts for another token requestor are refused locally. */
  trid?: string;
  /** Card-encryption algorithms in order of preference (default RSA-OAEP-256, then ECDH-ES+A256KW). */
  cardEncryption?: readonly CardEncryptionAlg[];
}

/** A lifecycle change's reason (default `cardholder_request`) and a note for customer service. */
export interface LifecycleOptions extends RequestOptions {
  reason?: LifecycleReason;
  comment?: string;
}

/**
 * The wallet (token requestor) client: provision cards, bind pushed cards with one tap, list
 * and manage them, get payment credentials, verify webhooks.
 *
 * @example
 * ```ts
 * const wallet = new WalletClient({
 *   baseUrl: 'https://tsp.example.org',
 *   credentials: { clientId: 'cli_wallet…', privateKey: appKeyJwk, keyId: 'wallet-key-1' },
 *   trid: '90000000001',
 * });
 * ```
 */
export class WalletClient extends BaseClient {
  readonly #trid: string | undefined;
  readonly #algorithms: readonly CardEncryptionAlg[] | undefined;

  constructor(options: WalletClientOptions) {
    super(options);
    this.#trid = options.trid;
    this.#algorithms = options.cardEncryption;
  }

  /**
   * Provisions a card: encrypts it on the device to the TSP's current `enc` key (the PAN never
   * leaves in clear) and asks for a token. Resolves with an `ACTIVE` token or the ID&V step-up.
   * Send the `cvv2` the cardholder typed: the issuer checks it, and without it the best
   * outcome is the step-up, never `ACTIVE`.
   *
   * @example
   * ```ts
   * const result = await wallet.provisionCard(
   *   { pan: '6212345678901232', expMonth: 12, expYear: 2029, cvv2: '123' },
   *   { walletAccountId: 'wa_8842a1c7', device: { id: 'dev_5f2c9a81', type: 'phone', os: 'android' }, tokenLocation: '02', channel: 'nfc' },
   * );
   * if (result.outcome === 'verification_required') await result.verification.start(result.verification.methods[0].id);
   * ```
   * @throws DeclinedError `provisioning_declined` (see `reasonCodes`); ValidationError `card_invalid_luhn`, `card_expired`, `card_bin_unknown`,
   * `card_verification_failed` (expiry or CVV2 wrong: ask the cardholder to check them).
   */
  provisionCard(card: CardPlaintext, context: ProvisionContext, options?: RequestOptions): Promise<WithLastResponse<ProvisionResult>> {
    return provisionCard(this.http, this.jwks, card, context, { ...options, algorithms: this.#algorithms });
  }

  /**
   * The ID&V step-up of a token read back later (e.g. the app restarted mid-verification).
   *
   * @example
   * ```ts
   * const verification = wallet.verificationFor(await wallet.getCard(tokenRef));
   * ```
   */
  verificationFor(token: Token): VerificationSession {
    const result = provisionResult(this.http, token);
    if (result.outcome !== 'verification_required') throw new TypeError(`Token ${token.tokenRef} does not await ID&V`);
    return result.verification;
  }

  /**
   * Reads and verifies a push (the TSP's signature, expiry, TRID, account) without redeeming
   * it, to show the cardholder which card is about to be added.
   *
   * @example
   * ```ts
   * const { claims } = await wallet.previewPushReceipt(deepLink, 'wa_8842a1c7');
   * confirmDialog(`${claims.card.issuerName} •••• ${claims.card.panLast4}`);
   * ```
   */
  previewPushReceipt(receiptOrDeepLink: string | PushReceiptLink, walletAccountId?: string): Promise<VerifiedPush> {
    return verifyPush(parsePushReceiptLink(receiptOrDeepLink), this.jwks, { trid: this.#trid, walletAccountId, clock: this.http.clock });
  }

  /**
   * The one-tap bind: parses the bank's deep link, verifies the TSP's signature on the pushed
   * payload, redeems the receipt and resolves with the `ACTIVE` token. No card entry, no OTP.
   *
   * @example
   * ```ts
   * Linking.addEventListener('url', async ({ url }) => {
   *   const token = await wallet.bindWithPushReceipt(url, { walletAccountId: 'wa_8842a1c7', device });
   * });
   * ```
   * @throws ValidationError `receipt_signature_invalid`; GoneError `receipt_expired`;
   * ConflictError `receipt_already_redeemed`; PermissionError `receipt_wrong_requestor`, `receipt_wrong_account`.
   */
  async bindWithPushReceipt(receiptOrDeepLink: string | PushReceiptLink, context: BindContext, options?: RequestOptions): Promise<WithLastResponse<Token>> {
    const { token } = await bindWithPushReceipt(this.http, this.jwks, receiptOrDeepLink, context, { trid: this.#trid }, options);
    return token;
  }

  /**
   * Every card of a wallet account, from every bank, fetched page by page as you iterate.
   *
   * @example
   * ```ts
   * for await (const card of wallet.listCards('wa_8842a1c7')) console.log(card.card.issuerName, card.tokenLast4);
   * ```
   */
  listCards(walletAccountId: string, filter: { status?: TokenStatus; limit?: number } = {}, options?: RequestOptions): AutoPager<Token> {
    return new AutoPager(async (cursor) => {
      const query: QueryOf<'get', '/v1/tokens'> = { walletAccountId, status: filter.status, limit: filter.limit, cursor };
      return (await this.http.call('get', '/v1/tokens', { query }, options)).data;
    });
  }

  /**
   * One token of this wallet.
   *
   * @example
   * ```ts
   * const token = await wallet.getCard('tok_7Qm2vXk9LpR4sT8wZa1B');
   * ```
   * @throws NotFoundError `token_not_found`.
   */
  async getCard(tokenRef: string, options?: RequestOptions): Promise<WithLastResponse<Token>> {
    return (await this.http.call('get', '/v1/tokens/{tokenRef}', { path: { tokenRef } }, options)).data;
  }

  /**
   * Suspends a token (e.g. the cardholder locks the card, or lost the phone).
   *
   * @example
   * ```ts
   * await wallet.suspend(tokenRef, { reason: 'device_lost' });
   * ```
   * @throws ConflictError `token_state_conflict`, `token_deleted`.
   */
  async suspend(tokenRef: string, options: LifecycleOptions = {}): Promise<WithLastResponse<Token>> {
    const { reason = 'cardholder_request', comment, ...request } = options;
    return (await this.http.call('post', '/v1/tokens/{tokenRef}/suspend', { path: { tokenRef }, body: { reason, comment } }, request)).data;
  }

  /**
   * Resumes a token this wallet suspended.
   *
   * @example
   * ```ts
   * await wallet.resume(tokenRef);
   * ```
   * @throws PermissionError `forbidden` (suspended by the issuer); ConflictError `token_state_conflict`.
   */
  async resume(tokenRef: string, options: LifecycleOptions = {}): Promise<WithLastResponse<Token>> {
    const { reason = 'cardholder_request', comment, ...request } = options;
    return (await this.http.call('post', '/v1/tokens/{tokenRef}/resume', { path: { tokenRef }, body: { reason, comment } }, request)).data;
  }

  /**
   * Removes a card from the wallet: the token becomes `DELETED` for good.
   *
   * @example
   * ```ts
   * await wallet.remove(tokenRef);
   * ```
   */
  async remove(tokenRef: string, options: Omit<LifecycleOptions, 'comment'> = {}): Promise<WithLastResponse<Token>> {
    const { reason, ...request } = options;
    return (await this.http.call('delete', '/v1/tokens/{tokenRef}', { path: { tokenRef }, query: { reason } }, request)).data;
  }

  /**
   * Payment credentials for one transaction at checkout: token PAN, token expiry, a one-time
   * cryptogram bound to amount, currency, merchant and channel, and its ATC.
   *
   * @example
   * ```ts
   * const creds = await wallet.getPaymentCredentials(tokenRef, { amount: 12800, currency: 'CNY', merchantId: '898310048160001', channel: 'nfc' });
   * ```
   * @throws ConflictError `token_not_active`; PermissionError `domain_channel_not_allowed`; DeclinedError `risk_declined`.
   */
  getPaymentCredentials(tokenRef: string, transaction: CryptogramRequest, options?: RequestOptions): Promise<WithLastResponse<PaymentCredentials>> {
    return getPaymentCredentials(this.http, tokenRef, transaction, options);
  }

  /**
   * Verifies a webhook from the TSP against its JWKS (see {@link verifyWebhook}); pass the raw body.
   *
   * @example
   * ```ts
   * const event = await wallet.verifyWebhook(req.body, req.headers); // express.raw()
   * if (event.type === 'token.pushed') refreshCards(event.data.token.walletAccountId);
   * ```
   */
  verifyWebhook(rawBody: string | Uint8Array, headers: HeaderBag): Promise<WebhookEvent> {
    return verifyWebhook(rawBody, headers, { keys: this.jwks, clock: this.http.clock });
  }
}
