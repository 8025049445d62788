import { type Kysely, sql } from 'kysely';

/**
 * Token push (DESIGN §2 flow 4):
 * - `push_receipts`: single-use, short-lived receipts, stored only as a SHA-256 of the value;
 * - `push_redemption_failures`: failed redemptions per token requestor and window, the
 *   cluster-wide budget that bounds receipt guessing.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('push_receipts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('receipt_hash', 'text', (c) => c.notNull().unique().check(sql`receipt_hash ~ '^[0-9a-f]{64}$'`))
    .addColumn('card_ref', 'text', (c) => c.notNull())
    .addColumn('issuer_id', 'text', (c) => c.notNull())
    .addColumn('trid', 'text', (c) => c.notNull())
    .addColumn('wallet_account_id', 'text')
    .addColumn('device', 'jsonb')
    .addColumn('callback_url', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('redeemed_at', 'timestamptz')
    .addColumn('redeemed_token_ref', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('push_receipts_card').on('push_receipts').columns(['card_ref', 'created_at']).execute();

  await db.schema
    .createTable('push_redemption_failures')
    .addColumn('trid', 'text', (c) => c.notNull())
    .addColumn('window_start', 'timestamptz', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('push_redemption_failures_pk', ['trid', 'window_start'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('push_redemption_failures').execute();
  await db.schema.dropTable('push_receipts').execute();
}
