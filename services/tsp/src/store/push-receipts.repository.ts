import { sql, type Selectable } from 'kysely';
import type { PushReceiptsTable } from './push-receipts.table';
import type { Executor } from './transaction';

export type PushReceiptRow = Selectable<PushReceiptsTable>;

export interface NewPushReceipt {
  id: string;
  receiptHash: string;
  cardRef: string;
  issuerId: string;
  trid: string;
  walletAccountId?: string;
  device?: Record<string, unknown>;
  callbackUrl?: string;
  createdBy: string;
  expiresAt: Date;
}

/**
 * Storage of push receipts and of the redemption-failure budget. Every function takes the
 * executor first (pool or transaction). Receipts are found by the SHA-256 of their value;
 * the value itself is never stored.
 */
export const pushReceiptsRepository = {
  async insert(executor: Executor, receipt: NewPushReceipt): Promise<PushReceiptRow> {
    return executor
      .insertInto('push_receipts')
      .values({
        id: receipt.id,
        receipt_hash: receipt.receiptHash,
        card_ref: receipt.cardRef,
        issuer_id: receipt.issuerId,
        trid: receipt.trid,
        wallet_account_id: receipt.walletAccountId ?? null,
        device: receipt.device ? JSON.stringify(receipt.device) : null,
        callback_url: receipt.callbackUrl ?? null,
        created_by: receipt.createdBy,
        expires_at: receipt.expiresAt,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  async findByHash(executor: Executor, receiptHash: string): Promise<PushReceiptRow | undefined> {
    return executor.selectFrom('push_receipts').selectAll().where('receipt_hash', '=', receiptHash).executeTakeFirst();
  },

  /**
   * Claims the receipt for redemption: one atomic `UPDATE … WHERE redeemed_at IS NULL AND
   * expires_at > now() RETURNING`. Of two concurrent claims the second waits for the first's
   * row lock and, once it commits, no longer matches (READ COMMITTED re-checks the WHERE on
   * the new row version), so exactly one redemption wins; if the first rolls back, the second
   * proceeds. `undefined` when the receipt is already redeemed or expired.
   */
  async claim(tx: Executor, id: string, tokenRef?: string): Promise<PushReceiptRow | undefined> {
    return tx
      .updateTable('push_receipts')
      // With the token it will create (same transaction): no second update after the token.
      .set({ redeemed_at: sql<Date>`now()`, ...(tokenRef ? { redeemed_token_ref: tokenRef } : {}) })
      .where('id', '=', id)
      .where('redeemed_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`)
      .returningAll()
      .executeTakeFirst();
  },

  /** The most failed redemptions any of `subjects` of a token requestor has in the window starting at `windowStart`. */
  async failuresIn(executor: Executor, trid: string, subjects: readonly string[], windowStart: Date): Promise<number> {
    const row = await executor
      .selectFrom('push_redemption_failures')
      .select((eb) => eb.fn.max('failures').as('failures'))
      .where('trid', '=', trid)
      .where('subject', 'in', [...subjects])
      .where('window_start', '=', windowStart)
      .executeTakeFirst();
    return Number(row?.failures ?? 0);
  },

  /**
   * Counts one failed redemption of a subject (one upsert, safe across processes) and returns
   * the window's total. Windows older than `pruneBefore` of this requestor are deleted on the way.
   */
  async recordFailure(tx: Executor, trid: string, subject: string, windowStart: Date, pruneBefore: Date): Promise<number> {
    const row = await tx
      .insertInto('push_redemption_failures')
      .values({ trid, subject, window_start: windowStart, failures: 1 })
      .onConflict((oc) =>
        oc.columns(['trid', 'subject', 'window_start']).doUpdateSet({ failures: sql<number>`push_redemption_failures.failures + 1` }),
      )
      .returning('failures')
      .executeTakeFirstOrThrow();
    await tx.deleteFrom('push_redemption_failures').where('trid', '=', trid).where('window_start', '<', pruneBefore).execute();
    return row.failures;
  },
};
