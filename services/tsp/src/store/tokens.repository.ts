import { sql, type Selectable, type SelectQueryBuilder } from 'kysely';
import type { CardMetadata } from './card-metadata.repository';
import { decodeCursor, encodeCursor, type CursorPosition } from './pagination';
import type { Database } from './schema';
import type { TokensTableV3 } from './tokens.tables';
import type { Executor } from './transaction';

export type TokenRow = Selectable<TokensTableV3>;
/** The `status` column (the domain's lifecycle rules are in domain/tokens/token-states.ts). */
type TokenStatus = TokensTableV3['status'];

export interface NewToken {
  tokenRef: string;
  tokenPan: string;
  tokenExpiry: { month: number; year: number };
  cardRef: string;
  issuerId: string;
  trid: string;
  requestorClientId: string;
  walletAccountId: string;
  status: TokenStatus;
  assuranceMethod: string;
  tokenLocation: string;
  channels: string[];
  merchantIds?: string[];
  device?: Record<string, unknown>;
  par: string;
  /** Who created it (`token_requestor`, `issuer` …), kept as the first status actor. */
  statusActor?: string;
}

/** Filters of the issuer's token search (`GET /v1/issuer/tokens`). */
export interface IssuerTokenFilter {
  issuerId: string;
  cardRef?: string;
  tokenRef?: string;
  trid?: string;
  walletAccountId?: string;
  /** The funding card's last 4 digits and expiry (they go together). */
  card?: { panLast4: string; expMonth: number; expYear: number };
  status?: TokenStatus;
}

export interface TokenPage {
  rows: TokenRow[];
  nextCursor: string | null;
  /** The funding cards' metadata, read by the same query (a card shredded since is absent). */
  cards: Map<string, CardMetadata>;
}

/**
 * The token's card metadata as one JSON column of the token query itself (the same columns as
 * cardMetadataRepository.byRefs), so a token view costs one round trip, not two.
 */
const CARD_JSON = sql<CardJson | null>`(select json_build_object('cardRef', c.card_ref, 'issuerId', c.issuer_id,
  'panLast4', c.pan_last4, 'expMonth', c.exp_month, 'expYear', c.exp_year, 'par', c.par, 'product', c.product,
  'cardArtAssetId', c.card_art_asset_id, 'status', c.status, 'createdAt', c.created_at, 'updatedAt', c.updated_at)
  from cards c where c.card_ref = tokens.card_ref)`;

type CardJson = Omit<CardMetadata, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string };

/** Splits the rows of a query with `CARD_JSON` into token rows and their cards. */
function withCards(rows: Array<TokenRow & { card_json: CardJson | null }>): { rows: TokenRow[]; cards: Map<string, CardMetadata> } {
  const cards = new Map<string, CardMetadata>();
  const tokens = rows.map(({ card_json: card, ...row }) => {
    if (card) cards.set(card.cardRef, { ...card, createdAt: new Date(card.createdAt), updatedAt: new Date(card.updatedAt) });
    return row as TokenRow;
  });
  return { rows: tokens, cards };
}

/** Storage of tokens. Every function takes the executor first (pool or transaction). */
export const tokensRepository = {
  async insert(executor: Executor, token: NewToken): Promise<TokenRow> {
    // Millisecond timestamps from here (not now() with microseconds) so list cursors, which
    // carry JS dates, compare exactly.
    const now = new Date();
    return executor
      .insertInto('tokens')
      .values({
        token_ref: token.tokenRef,
        token_pan: token.tokenPan,
        token_exp_month: token.tokenExpiry.month,
        token_exp_year: token.tokenExpiry.year,
        card_ref: token.cardRef,
        issuer_id: token.issuerId,
        trid: token.trid,
        requestor_client_id: token.requestorClientId,
        wallet_account_id: token.walletAccountId,
        status: token.status,
        status_reason: null,
        assurance_method: token.assuranceMethod,
        token_location: token.tokenLocation,
        channels: token.channels,
        merchant_ids: token.merchantIds ?? null,
        device: token.device ? JSON.stringify(token.device) : null,
        par: token.par,
        status_actor: token.statusActor ?? null,
        activated_at: token.status === 'ACTIVE' ? now : null,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  async findByRef(executor: Executor, tokenRef: string, options: { forUpdate?: boolean } = {}): Promise<TokenRow | undefined> {
    let query = executor.selectFrom('tokens').selectAll().where('token_ref', '=', tokenRef);
    if (options.forUpdate) query = query.forUpdate();
    return query.executeTakeFirst();
  },

  /** `findByRef` with the funding card's metadata, in one query (token views: `GET /v1/tokens/{tokenRef}`). */
  async findByRefWithCard(executor: Executor, tokenRef: string): Promise<{ row: TokenRow; card: CardMetadata | undefined } | undefined> {
    const found = await executor.selectFrom('tokens').selectAll().select(CARD_JSON.as('card_json')).where('token_ref', '=', tokenRef).executeTakeFirst();
    if (!found) return undefined;
    const { rows, cards } = withCards([found]);
    return { row: rows[0]!, card: cards.get(found.card_ref) };
  },

  async findByPan(executor: Executor, tokenPan: string): Promise<TokenRow | undefined> {
    return executor.selectFrom('tokens').selectAll().where('token_pan', '=', tokenPan).executeTakeFirst();
  },

  /** Changes the status only if the token is still in one of `from` (no lost update). */
  async transition(
    executor: Executor,
    tokenRef: string,
    from: readonly TokenStatus[],
    to: TokenStatus,
    changes: { reason?: string | null; assuranceMethod?: string; actor?: string } = {},
  ): Promise<TokenRow | undefined> {
    return executor
      .updateTable('tokens')
      .set({
        status: to,
        status_reason: to === 'ACTIVE' ? null : (changes.reason ?? null),
        status_actor: changes.actor ?? null,
        updated_at: sql<Date>`now()`,
        ...(changes.assuranceMethod ? { assurance_method: changes.assuranceMethod } : {}),
        ...(to === 'ACTIVE' ? { activated_at: sql<Date>`coalesce(activated_at, now())` } : {}),
      })
      .where('token_ref', '=', tokenRef)
      .where('status', 'in', [...from])
      .returningAll()
      .executeTakeFirst();
  },

  /** Tokens of one token requestor (of one wallet account when given), oldest first, across every issuer. */
  async listForWallet(
    executor: Executor,
    filter: { trid: string; walletAccountId?: string; status?: TokenStatus },
    page: { limit: number; cursor?: string },
  ): Promise<TokenPage> {
    const listId = `wallet:${filter.trid}:${filter.walletAccountId ?? '*'}:${filter.status ?? '*'}`;
    const after = decodeCursor(listId, page.cursor);
    let query = executor.selectFrom('tokens').selectAll().where('trid', '=', filter.trid);
    // Without a wallet account: every token of the requestor (back office, reconciliation).
    if (filter.walletAccountId) query = query.where('wallet_account_id', '=', filter.walletAccountId);
    if (filter.status) query = query.where('status', '=', filter.status);
    return pageAfter(query, listId, after, page.limit);
  },

  /** Tokens of one card (the issuer's view), oldest first. */
  async listForCard(executor: Executor, cardRef: string, page: { limit: number; cursor?: string }): Promise<TokenPage> {
    const listId = `card:${cardRef}`;
    const after = decodeCursor(listId, page.cursor);
    const query = executor.selectFrom('tokens').selectAll().where('card_ref', '=', cardRef);
    return pageAfter(query, listId, after, page.limit);
  },

  /**
   * The issuer's view: tokens of its cards, optionally of one card / token / requestor / wallet
   * account / status, or of the cards with these last 4 digits and expiry, oldest first. Filters
   * combine with AND. Always filtered by `issuerId`, so another issuer's tokens are never listed.
   */
  async listForIssuer(
    executor: Executor,
    filter: IssuerTokenFilter,
    page: { limit: number; cursor?: string },
  ): Promise<TokenPage> {
    const { issuerId, cardRef, tokenRef, trid, walletAccountId, card, status } = filter;
    const cardKey = card ? `${card.panLast4}/${card.expMonth}/${card.expYear}` : '*';
    const listId = `issuer:${issuerId}:${cardRef ?? '*'}:${tokenRef ?? '*'}:${trid ?? '*'}:${walletAccountId ?? '*'}:${cardKey}:${status ?? '*'}`;
    const after = decodeCursor(listId, page.cursor);
    let query = executor.selectFrom('tokens').selectAll().where('issuer_id', '=', issuerId);
    if (cardRef) query = query.where('card_ref', '=', cardRef);
    if (tokenRef) query = query.where('token_ref', '=', tokenRef);
    if (trid) query = query.where('trid', '=', trid);
    if (walletAccountId) query = query.where('wallet_account_id', '=', walletAccountId);
    if (status) query = query.where('status', '=', status);
    if (card) {
      // Last 4 and expiry are what a cardholder reads to an agent; they match the vault's clear
      // columns (never the PAN), and only cards of this issuer.
      query = query.where('card_ref', 'in', (eb) =>
        eb
          .selectFrom('cards')
          .select('cards.card_ref')
          .where('cards.issuer_id', '=', issuerId)
          .where('cards.pan_last4', '=', card.panLast4)
          .where('cards.exp_month', '=', card.expMonth)
          .where('cards.exp_year', '=', card.expYear),
      );
    }
    return pageAfter(query, listId, after, page.limit);
  },

  /** Tokens by reference, locked for the caller's transaction (card-level lifecycle with `tokenRefs`). */
  async findManyForUpdate(executor: Executor, tokenRefs: readonly string[]): Promise<TokenRow[]> {
    if (tokenRefs.length === 0) return [];
    return executor.selectFrom('tokens').selectAll().where('token_ref', 'in', [...tokenRefs]).orderBy('created_at').forUpdate().execute();
  },

  /** Touches `updated_at` (the token's card data changed, e.g. reissue). */
  async touch(executor: Executor, tokenRef: string): Promise<TokenRow | undefined> {
    return executor
      .updateTable('tokens')
      .set({ updated_at: sql<Date>`now()` })
      .where('token_ref', '=', tokenRef)
      .returningAll()
      .executeTakeFirst();
  },

  /** Every token of a card (for card-level lifecycle), locked for the caller's transaction. */
  async allForCard(executor: Executor, cardRef: string): Promise<TokenRow[]> {
    return executor.selectFrom('tokens').selectAll().where('card_ref', '=', cardRef).orderBy('created_at').forUpdate().execute();
  },
};

type TokenQuery = SelectQueryBuilder<Database, 'tokens', TokenRow>;

/** One page in (created_at, token_ref) order, after the cursor position when there is one. */
async function pageAfter(query: TokenQuery, listId: string, after: CursorPosition | undefined, limit: number): Promise<TokenPage> {
  const from = after
    ? query.where((eb) =>
        eb.or([
          eb('created_at', '>', new Date(after.at)),
          eb.and([eb('created_at', '=', new Date(after.at)), eb('token_ref', '>', after.id)]),
        ]),
      )
    : query;
  const { rows, cards } = withCards(await from.select(CARD_JSON.as('card_json')).orderBy('created_at').orderBy('token_ref').limit(limit + 1).execute());
  return { ...paginate(listId, rows, limit), cards };
}

function paginate(listId: string, rows: TokenRow[], limit: number): Omit<TokenPage, 'cards'> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    rows: pageRows,
    nextCursor: hasMore && last ? encodeCursor(listId, { at: last.created_at.toISOString(), id: last.token_ref }) : null,
  };
}
