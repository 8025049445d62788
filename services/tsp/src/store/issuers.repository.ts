import { type Selectable, sql } from 'kysely';
import type { IssuersTable } from './issuers.table';
import type { Executor } from './transaction';

export type IssuerRow = Selectable<IssuersTable>;

/** A BIN range as stored: a prefix and the length of the numbers it holds. */
export interface StoredBinRange {
  prefix: string;
  length: number;
}

export interface IssuerWithRanges extends IssuerRow {
  cardBinRanges: StoredBinRange[];
  tokenBinRanges: StoredBinRange[];
}

/** One requested range that overlaps a registered one (for the 409 detail). */
export interface RangeOverlap {
  kind: 'card' | 'token';
  prefix: string;
  length: number;
}

// One advisory lock id for "BIN range registration": the overlap check and the insert must
// not interleave with another registration's, or two overlapping ranges could both pass.
const BIN_RANGES_LOCK = 0x4f545350_42494e53n; // "OTSPBINS"

function rangesOf(rows: Array<{ issuer_id: string; prefix: string; length: number }>, issuerId: string): StoredBinRange[] {
  return rows.filter((r) => r.issuer_id === issuerId).map((r) => ({ prefix: r.prefix, length: r.length }));
}

/** Storage of issuers and their card / token BIN ranges. */
export const issuersRepository = {
  /** Serialises BIN range registrations until the end of the caller's transaction. */
  async lockBinRanges(tx: Executor): Promise<void> {
    await sql`select pg_advisory_xact_lock(${BIN_RANGES_LOCK})`.execute(tx);
  },

  /**
   * The requested ranges that overlap a registered range of another issuer (`exceptIssuerId`):
   * card and token ranges may overlap no card range and no token range of the same length.
   * Call it under `lockBinRanges`.
   */
  async findOverlaps(
    tx: Executor,
    requested: { card: StoredBinRange[]; token: StoredBinRange[] },
    exceptIssuerId: string | null,
  ): Promise<RangeOverlap[]> {
    const all = [
      ...requested.card.map((r) => ({ kind: 'card' as const, ...r })),
      ...requested.token.map((r) => ({ kind: 'token' as const, ...r })),
    ];
    if (all.length === 0) return [];
    const values = sql.join(all.map((r) => sql`(${r.kind}, ${r.prefix}, ${r.length}::int)`));
    const except = exceptIssuerId ?? '';
    const result = await sql<{ kind: 'card' | 'token'; prefix: string; len: number }>`
      select n.kind, n.prefix, n.len from (values ${values}) as n(kind, prefix, len)
      where exists (select 1 from issuer_card_bin_ranges r where r.issuer_id <> ${except} and r.pan_length = n.len
                      and (r.prefix like n.prefix || '%' or n.prefix like r.prefix || '%'))
         or exists (select 1 from issuer_token_bin_ranges r where r.issuer_id <> ${except} and r.token_length = n.len
                      and (r.prefix like n.prefix || '%' or n.prefix like r.prefix || '%'))`.execute(tx);
    return result.rows.map((r) => ({ kind: r.kind, prefix: r.prefix, length: r.len }));
  },

  /** Inserts an issuer; `createdAt` has millisecond precision so list cursors round-trip exactly. */
  async insert(tx: Executor, issuer: Omit<IssuerRow, 'created_at' | 'updated_at'>, createdAt: Date): Promise<void> {
    await tx
      .insertInto('issuers')
      .values({ ...issuer, jwks: issuer.jwks ? JSON.stringify(issuer.jwks) : null, created_at: createdAt, updated_at: createdAt })
      .execute();
  },

  /** Replaces the card and/or token BIN ranges of an issuer (undefined: unchanged). */
  async replaceRanges(tx: Executor, issuerId: string, ranges: { card?: StoredBinRange[]; token?: StoredBinRange[] }): Promise<void> {
    if (ranges.card) {
      await tx.deleteFrom('issuer_card_bin_ranges').where('issuer_id', '=', issuerId).execute();
      await tx
        .insertInto('issuer_card_bin_ranges')
        .values(ranges.card.map((r) => ({ issuer_id: issuerId, prefix: r.prefix, pan_length: r.length })))
        .execute();
    }
    if (ranges.token) {
      await tx.deleteFrom('issuer_token_bin_ranges').where('issuer_id', '=', issuerId).execute();
      await tx
        .insertInto('issuer_token_bin_ranges')
        .values(ranges.token.map((r) => ({ issuer_id: issuerId, prefix: r.prefix, token_length: r.length })))
        .execute();
    }
  },

  async update(
    tx: Executor,
    issuerId: string,
    patch: Partial<Omit<IssuerRow, 'id' | 'created_at' | 'updated_at'>>,
  ): Promise<void> {
    const { jwks, ...rest } = patch;
    await tx
      .updateTable('issuers')
      .set({ ...rest, ...(jwks !== undefined ? { jwks: jwks ? JSON.stringify(jwks) : null } : {}), updated_at: new Date() })
      .where('id', '=', issuerId)
      .execute();
  },

  /** Issuers with their ranges: all of them, or those with the given ids. */
  async load(executor: Executor, ids?: readonly string[]): Promise<IssuerWithRanges[]> {
    if (ids && ids.length === 0) return [];
    let issuersQuery = executor.selectFrom('issuers').selectAll().orderBy('created_at').orderBy('id');
    let cardQuery = executor.selectFrom('issuer_card_bin_ranges').select(['issuer_id', 'prefix', 'pan_length as length']);
    let tokenQuery = executor.selectFrom('issuer_token_bin_ranges').select(['issuer_id', 'prefix', 'token_length as length']);
    if (ids) {
      issuersQuery = issuersQuery.where('id', 'in', ids);
      cardQuery = cardQuery.where('issuer_id', 'in', ids);
      tokenQuery = tokenQuery.where('issuer_id', 'in', ids);
    }
    const [issuers, cards, tokens] = await Promise.all([issuersQuery.execute(), cardQuery.execute(), tokenQuery.execute()]);
    return issuers.map((issuer) => ({
      ...issuer,
      cardBinRanges: rangesOf(cards, issuer.id),
      tokenBinRanges: rangesOf(tokens, issuer.id),
    }));
  },

  /** One page of issuers in `(created_at, id)` order, after the given position. */
  async page(executor: Executor, options: { after?: { at: string; id: string }; limit: number }): Promise<IssuerWithRanges[]> {
    let query = executor.selectFrom('issuers').select('id').orderBy('created_at').orderBy('id').limit(options.limit);
    if (options.after) {
      const { at, id } = options.after;
      query = query.where(sql<boolean>`(created_at, id) > (${at}::timestamptz, ${id})`);
    }
    const ids = (await query.execute()).map((r) => r.id);
    return issuersRepository.load(executor, ids);
  },
};
