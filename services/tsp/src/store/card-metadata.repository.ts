import type { Executor } from './transaction';

/**
 * What a token view shows of its funding card: the non-secret columns of the vault's `cards`
 * table (last 4, expiry, product, card art), read in one query for a page of tokens. The PAN
 * and cardholder name stay sealed; this never selects `ciphertext` or `fingerprint`.
 */
export interface CardMetadata {
  cardRef: string;
  issuerId: string;
  panLast4: string;
  expMonth: number;
  expYear: number;
  par: string;
  product: string | null;
  cardArtAssetId: string | null;
  status: 'active' | 'deleted';
  createdAt: Date;
  updatedAt: Date;
}

export const cardMetadataRepository = {
  async byRefs(executor: Executor, cardRefs: readonly string[]): Promise<Map<string, CardMetadata>> {
    const unique = [...new Set(cardRefs)];
    if (unique.length === 0) return new Map();
    const rows = await executor
      .selectFrom('cards')
      .select(['card_ref', 'issuer_id', 'pan_last4', 'exp_month', 'exp_year', 'par', 'product', 'card_art_asset_id', 'status', 'created_at', 'updated_at'])
      .where('card_ref', 'in', unique)
      .execute();
    return new Map(
      rows.map((r) => [
        r.card_ref,
        {
          cardRef: r.card_ref,
          issuerId: r.issuer_id,
          panLast4: r.pan_last4,
          expMonth: r.exp_month,
          expYear: r.exp_year,
          par: r.par,
          product: r.product,
          cardArtAssetId: r.card_art_asset_id,
          status: r.status,
          createdAt: r.created_at,
          updatedAt: r.updated_at,
        },
      ]),
    );
  },

  /** Locks the card row until the end of the transaction (card lifecycle, reissue). */
  async lock(executor: Executor, cardRef: string): Promise<CardMetadata | undefined> {
    const row = await executor.selectFrom('cards').select('card_ref').where('card_ref', '=', cardRef).forUpdate().executeTakeFirst();
    if (!row) return undefined;
    return (await this.byRefs(executor, [cardRef])).get(cardRef);
  },
};
