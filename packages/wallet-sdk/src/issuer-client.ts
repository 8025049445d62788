import { BaseClient, type ClientOptions } from './base-client';
import { withEncryptedCard, type CardPlaintext } from './card-encryption';
import type { QueryOf, RequestOptions } from './client';
import type { WithLastResponse } from './last-response';
import { AutoPager } from './pagination';
import type {
  Card,
  CardLifecycleRequest,
  CardTokensResult,
  CardUpdateResult,
  CreateCardRequest,
  CreatePushReceiptRequest,
  PushReceipt,
  PushTokenRequest,
  Token,
  TokenHistoryEntry,
  TokenRequestor,
  TokenStatus,
} from './types';

/** A card named by its vault reference, or given in full (encrypted on the way, stored on the fly). */
export type CardSource = { cardRef: string } | { card: CardPlaintext };
/**
 * Filters of {@link IssuerClient.searchTokens}; they combine with AND. `panLast4` and
 * `cardExpiry` (`MM/YY`, as printed on the card) go together.
 */
export type TokenSearch = Omit<QueryOf<'get', '/v1/issuer/tokens'>, 'cursor'>;
/** Which of a card's tokens a card-level change touches, and why. */
export type CardLifecycleOptions = Partial<CardLifecycleRequest> & RequestOptions;

/**
 * The issuer (bank) client: put cards in the vault, push them to wallets (push receipt for the
 * one-tap bind, or straight into a known wallet account) and manage the tokens of a card.
 *
 * @example
 * ```ts
 * const issuer = new IssuerClient({ baseUrl, credentials: { clientId, clientSecret } });
 * const receipt = await issuer.createPushReceipt({ cardRef }, { trid: '90000000001', walletAccountId: 'wa_8842a1c7' });
 * openInApp(receipt.deepLink);
 * ```
 */
export class IssuerClient extends BaseClient {
  constructor(options: ClientOptions) {
    super(options);
  }

  /**
   * Stores a card (encrypted on this host to the TSP's key) and returns its `cardRef`; storing a
   * PAN already in the vault for this issuer returns the existing card.
   *
   * @example
   * ```ts
   * const { cardRef } = await issuer.registerCard({ pan, expMonth: 12, expYear: 2029 }, { product: { type: 'debit' } });
   * ```
   * @throws PermissionError `cross_tenant_access`; ValidationError `card_invalid_luhn`, `card_expired`, `card_bin_unknown`.
   */
  registerCard(card: CardPlaintext, details: Omit<CreateCardRequest, 'encryptedCard'> = {}, options: RequestOptions = {}): Promise<WithLastResponse<Card>> {
    return this.#withCard(card, options, async (encryptedCard, request) =>
      (await this.http.call('post', '/v1/issuer/cards', { body: { ...details, encryptedCard } }, request)).data,
    );
  }

  /**
   * Creates a single-use push receipt for a wallet: returns the receipt, the deep link to open
   * and the TSP-signed payload the wallet SDK verifies.
   *
   * @example
   * ```ts
   * const { deepLink } = await issuer.createPushReceipt({ cardRef }, { trid: '90000000001', ttlSeconds: 600 });
   * ```
   * @throws PermissionError `requestor_not_eligible`; NotFoundError `card_not_found`; ValidationError `requestor_not_found`.
   */
  createPushReceipt(
    source: CardSource,
    target: Omit<CreatePushReceiptRequest, 'cardRef' | 'encryptedCard'>,
    options: RequestOptions = {},
  ): Promise<WithLastResponse<PushReceipt>> {
    return this.#withSource(source, options, async (card, request) =>
      (await this.http.call('post', '/v1/push-receipts', { body: { ...target, ...card } }, request)).data,
    );
  }

  /**
   * Pushes an `ACTIVE` token straight into a known wallet account; the wallet gets `token.pushed`.
   *
   * @example
   * ```ts
   * const token = await issuer.pushToWallet({ cardRef }, { trid: '90000000001', walletAccountId: 'wa_8842a1c7' });
   * ```
   */
  pushToWallet(source: CardSource, target: Omit<PushTokenRequest, 'cardRef' | 'encryptedCard'>, options: RequestOptions = {}): Promise<WithLastResponse<Token>> {
    return this.#withSource(source, options, async (card, request) =>
      (await this.http.call('post', '/v1/issuer/tokens', { body: { ...target, ...card } }, request)).data,
    );
  }

  /**
   * The wallets and card-on-file merchants this issuer's cards can be pushed to.
   *
   * @example
   * ```ts
   * for await (const wallet of issuer.eligibleWallets()) menu.add(wallet.name, wallet.trid);
   * ```
   */
  eligibleWallets(filter: { limit?: number } = {}, options?: RequestOptions): AutoPager<TokenRequestor> {
    return new AutoPager(async (cursor) =>
      (await this.http.call('get', '/v1/issuer/token-requestors', { query: { limit: filter.limit, cursor } }, options)).data,
    );
  }

  /**
   * The tokens of one card (every wallet), page by page.
   *
   * @example
   * ```ts
   * const tokens = await issuer.listCardTokens(cardRef, { status: 'ACTIVE' }).toArray();
   * ```
   */
  listCardTokens(cardRef: string, filter: { trid?: string; status?: TokenStatus; limit?: number } = {}, options?: RequestOptions): AutoPager<Token> {
    return new AutoPager(async (cursor) => {
      const query: QueryOf<'get', '/v1/issuer/tokens'> = { cardRef, ...filter, cursor };
      return (await this.http.call('get', '/v1/issuer/tokens', { query }, options)).data;
    });
  }

  /**
   * Finds tokens of this issuer's cards (customer service): by card, token, token requestor,
   * wallet account, or the last 4 digits and expiry the cardholder reads from the card.
   *
   * @example
   * ```ts
   * const found = await issuer.searchTokens({ panLast4: '1232', cardExpiry: '12/29' }).toArray();
   * ```
   * @throws ValidationError `validation_failed` (e.g. `panLast4` without `cardExpiry`); NotFoundError `card_not_found`.
   */
  searchTokens(filter: TokenSearch = {}, options?: RequestOptions): AutoPager<Token> {
    return new AutoPager(async (cursor) => (await this.http.call('get', '/v1/issuer/tokens', { query: { ...filter, cursor } }, options)).data);
  }

  /**
   * One token of this issuer's cards: status, domain, assurance method, device, PAR and card
   * metadata (never the PAN).
   *
   * @example
   * ```ts
   * const token = await issuer.getToken('tok_7Qm2vXk9LpR4sT8wZa1B');
   * ```
   * @throws NotFoundError `token_not_found` (also for another issuer's token).
   */
  async getToken(tokenRef: string, options?: RequestOptions): Promise<WithLastResponse<Token>> {
    return (await this.http.call('get', '/v1/issuer/tokens/{tokenRef}', { path: { tokenRef } }, options)).data;
  }

  /**
   * Everything that happened to one of this issuer's tokens, oldest first, fetched page by
   * page as you read: provisioning, ID&V, lifecycle changes with reasons, detokenizations
   * granted or refused, risk decisions and webhook deliveries.
   *
   * @example
   * ```ts
   * for await (const entry of issuer.tokenHistory('tok_7Qm2vXk9LpR4sT8wZa1B')) {
   *   console.log(entry.at, entry.summary, entry.reasonCode ?? '');
   * }
   * ```
   * @throws NotFoundError `token_not_found`.
   */
  tokenHistory(tokenRef: string, filter: { limit?: number } = {}, options?: RequestOptions): AutoPager<TokenHistoryEntry> {
    return new AutoPager(async (cursor) =>
      (await this.http.call('get', '/v1/issuer/tokens/{tokenRef}/history', { path: { tokenRef }, query: { limit: filter.limit, cursor } }, options)).data,
    );
  }

  /**
   * Suspends every `ACTIVE` token of a card (or only `tokenRefs`), e.g. card reported lost.
   *
   * @example
   * ```ts
   * await issuer.suspendCard(cardRef, { reason: 'lost' });
   * ```
   */
  suspendCard(cardRef: string, options: CardLifecycleOptions = {}): Promise<WithLastResponse<CardTokensResult>> {
    return this.#cardLifecycle('/v1/issuer/cards/{cardRef}/suspend', cardRef, options);
  }

  /**
   * Resumes the suspended tokens of a card (or only `tokenRefs`).
   *
   * @example
   * ```ts
   * await issuer.resumeCard(cardRef, { reason: 'issuer_request', comment: 'Card found' });
   * ```
   */
  resumeCard(cardRef: string, options: CardLifecycleOptions = {}): Promise<WithLastResponse<CardTokensResult>> {
    return this.#cardLifecycle('/v1/issuer/cards/{cardRef}/resume', cardRef, options);
  }

  /**
   * Deletes the tokens of a card; without `tokenRefs` the card itself leaves the vault.
   *
   * @example
   * ```ts
   * await issuer.deleteCard(cardRef, { reason: 'stolen' });
   * ```
   */
  deleteCard(cardRef: string, options: CardLifecycleOptions = {}): Promise<WithLastResponse<CardTokensResult>> {
    return this.#cardLifecycle('/v1/issuer/cards/{cardRef}/delete', cardRef, options);
  }

  /**
   * Reissue: replaces the card's PAN and/or expiry; every token keeps working.
   *
   * @example
   * ```ts
   * await issuer.updateCard(cardRef, { pan: newPan, expMonth: 6, expYear: 2031 });
   * ```
   */
  updateCard(cardRef: string, card: CardPlaintext, options: RequestOptions = {}): Promise<WithLastResponse<CardUpdateResult>> {
    return this.#withCard(card, options, async (encryptedCard, request) =>
      (await this.http.call('post', '/v1/issuer/cards/{cardRef}/update', { path: { cardRef }, body: { encryptedCard } }, request)).data,
    );
  }

  async #cardLifecycle(
    path: '/v1/issuer/cards/{cardRef}/suspend' | '/v1/issuer/cards/{cardRef}/resume' | '/v1/issuer/cards/{cardRef}/delete',
    cardRef: string,
    options: CardLifecycleOptions,
  ): Promise<WithLastResponse<CardTokensResult>> {
    const { reason = 'issuer_request', comment, tokenRefs, ...request } = options;
    return (await this.http.call('post', path, { path: { cardRef }, body: { reason, comment, tokenRefs } }, request)).data;
  }

  #withCard<T>(card: CardPlaintext, options: RequestOptions, send: (encryptedCard: string, request: RequestOptions) => Promise<T>): Promise<T> {
    return withEncryptedCard(
      card,
      this.jwks,
      { clock: this.http.clock, signal: options.signal },
      (encryptedCard, idempotencyKey) => send(encryptedCard, { ...options, idempotencyKey }),
      options.idempotencyKey,
    );
  }

  #withSource<T>(
    source: CardSource,
    options: RequestOptions,
    send: (card: { cardRef: string } | { encryptedCard: string }, request: RequestOptions) => Promise<T>,
  ): Promise<T> {
    if ('cardRef' in source) return send({ cardRef: source.cardRef }, options);
    return this.#withCard(source.card, options, (encryptedCard, request) => send({ encryptedCard }, request));
  }
}
