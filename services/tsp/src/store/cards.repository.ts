import type { Selectable } from 'kysely';
import type { CardsTable } from './cards.table';
import type { Executor } from './transaction';

export type CardRow = Selectable<CardsTable>;

export interface NewCardRow {
  cardRef: string;
  issuerId: string;
  fingerprint: string;
  par: string;
  panLast4: string;
  expMonth: number;
  expYear: number;
  dekId: string;
  ciphertext: Buffer;
  product?: string | null;
  cardArtAssetId?: string | null;
}

/** Storage of vaulted cards. Never selects or writes a PAN: only ciphertext and keyed hashes. */
export const cardsRepository = {
  /** The hot path of detokenization: one primary-key lookup. */
  async find(executor: Executor, cardRef: string): Promise<CardRow | undefined> {
    return executor.selectFrom('cards').selectAll().where('card_ref', '=', cardRef).executeTakeFirst();
  },

  async findForUpdate(tx: Executor, cardRef: string): Promise<CardRow | undefined> {
    return tx.selectFrom('cards').selectAll().where('card_ref', '=', cardRef).forUpdate().executeTakeFirst();
  },

  async findByFingerprint(executor: Executor, fingerprint: string, lock = false): Promise<CardRow | undefined> {
    let query = executor.selectFrom('cards').selectAll().where('fingerprint', '=', fingerprint);
    if (lock) query = query.forUpdate();
    return query.executeTakeFirst();
  },

  /** Inserts unless a card with the fingerprint exists (then returns false, without error). */
  async insertUnlessExists(tx: Executor, card: NewCardRow): Promise<boolean> {
    const row = await tx
      .insertInto('cards')
      .values({
        card_ref: card.cardRef,
        issuer_id: card.issuerId,
        fingerprint: card.fingerprint,
        par: card.par,
        pan_last4: card.panLast4,
        exp_month: card.expMonth,
        exp_year: card.expYear,
        dek_id: card.dekId,
        ciphertext: card.ciphertext,
        status: 'active',
        product: card.product ?? null,
        card_art_asset_id: card.cardArtAssetId ?? null,
      })
      .onConflict((oc) => oc.column('fingerprint').doNothing())
      .returning('card_ref')
      .executeTakeFirst();
    return row !== undefined;
  },

  async update(
    tx: Executor,
    cardRef: string,
    changes: Partial<Pick<CardRow, 'fingerprint' | 'pan_last4' | 'exp_month' | 'exp_year' | 'dek_id' | 'ciphertext' | 'product' | 'card_art_asset_id'>>,
  ): Promise<void> {
    await tx
      .updateTable('cards')
      .set({ ...changes, updated_at: new Date() })
      .where('card_ref', '=', cardRef)
      .execute();
  },

  /** Crypto-shredding's second half: no ciphertext, no fingerprint, status `deleted`. */
  async markDeleted(tx: Executor, cardRef: string): Promise<void> {
    const now = new Date();
    await tx
      .updateTable('cards')
      .set({ status: 'deleted', ciphertext: null, fingerprint: null, updated_at: now, deleted_at: now })
      .where('card_ref', '=', cardRef)
      .execute();
  },
};
