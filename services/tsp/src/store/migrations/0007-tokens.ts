import { type Kysely, sql } from 'kysely';

/** Payment tokens. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tokens')
    .addColumn('token_ref', 'text', (c) => c.primaryKey())
    .addColumn('token_pan', 'text', (c) => c.notNull().unique())
    .addColumn('token_exp_month', 'integer', (c) => c.notNull().check(sql`token_exp_month between 1 and 12`))
    .addColumn('token_exp_year', 'integer', (c) => c.notNull())
    .addColumn('card_ref', 'text', (c) => c.notNull())
    .addColumn('issuer_id', 'text', (c) => c.notNull())
    .addColumn('trid', 'text', (c) => c.notNull())
    .addColumn('requestor_client_id', 'text', (c) => c.notNull())
    .addColumn('wallet_account_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('INACTIVE', 'ACTIVE', 'SUSPENDED', 'DELETED')`),
    )
    .addColumn('status_reason', 'text')
    .addColumn('assurance_method', 'text', (c) => c.notNull())
    .addColumn('token_location', 'text', (c) => c.notNull())
    .addColumn('channels', sql`text[]`, (c) => c.notNull())
    .addColumn('merchant_ids', sql`text[]`)
    .addColumn('device', 'jsonb')
    .addColumn('par', 'text', (c) => c.notNull())
    .addColumn('last_atc', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('activated_at', 'timestamptz')
    .execute();
  // The wallet's card list (all banks) in a stable order, and the issuer's view of one card.
  await db.schema
    .createIndex('tokens_wallet_list')
    .on('tokens')
    .columns(['trid', 'wallet_account_id', 'created_at', 'token_ref'])
    .execute();
  await db.schema.createIndex('tokens_card').on('tokens').columns(['card_ref', 'created_at', 'token_ref']).execute();
  await db.schema.createIndex('tokens_issuer').on('tokens').columns(['issuer_id', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('tokens').execute();
}
