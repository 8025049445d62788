import { type Kysely, sql } from 'kysely';

/**
 * Payments: one row per cryptogram handed out (its transaction data, expiry and whether it
 * was used), and the sealed master key the per-token cryptogram keys derive from.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('cryptogram_issuances')
    .addColumn('token_ref', 'text', (c) => c.notNull())
    .addColumn('atc', 'integer', (c) => c.notNull().check(sql`atc between 1 and 65535`))
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('transaction_type', 'text', (c) => c.notNull())
    .addColumn('unpredictable_number', 'text')
    .addColumn('issued_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    // (token_ref, atc) is the replay guard: an ATC is issued once and consumed once.
    .addPrimaryKeyConstraint('cryptogram_issuances_pk', ['token_ref', 'atc'])
    .execute();

  await db.schema
    .createTable('payment_keys')
    .addColumn('name', 'text', (c) => c.primaryKey())
    // A vault envelope (`ev1.<dekId>.<…>`); never key material in clear.
    .addColumn('sealed_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('payment_keys').execute();
  await db.schema.dropTable('cryptogram_issuances').execute();
}
