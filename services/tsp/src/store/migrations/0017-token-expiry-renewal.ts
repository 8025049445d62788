import { type Kysely, sql } from 'kysely';

/**
 * Token expiry renewal (issue 20, DESIGN §2 flow 5): a token keeps the expiry it replaced, and
 * when, so detokenization can accept the previous expiry for a grace window; and the hourly
 * renewal job finds the live tokens nearing their expiry by one index.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('tokens')
    .addColumn('previous_token_exp_month', 'integer', (c) => c.check(sql`previous_token_exp_month between 1 and 12`))
    .addColumn('previous_token_exp_year', 'integer')
    .addColumn('token_expiry_changed_at', 'timestamptz')
    .execute();
  // Month index (year * 12 + month - 1) of the expiry, as the renewal job compares it.
  await sql`create index tokens_expiry_renewal on tokens ((token_exp_year * 12 + token_exp_month - 1)) where status <> 'DELETED'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists tokens_expiry_renewal`.execute(db);
  await db.schema
    .alterTable('tokens')
    .dropColumn('previous_token_exp_month')
    .dropColumn('previous_token_exp_year')
    .dropColumn('token_expiry_changed_at')
    .execute();
}
