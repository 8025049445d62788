import { type Kysely, sql } from 'kysely';

/**
 * Token console (issue 12): a token's history reads its risk decisions and its webhook
 * deliveries by `token_ref`. Without these indexes each history page scans both tables, which
 * grow with every detokenization and every event.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index risk_decisions_token on risk_decisions (token_ref, created_at) where token_ref is not null`.execute(db);
  await sql`create index webhook_deliveries_token on webhook_deliveries (token_ref, created_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists webhook_deliveries_token`.execute(db);
  await sql`drop index if exists risk_decisions_token`.execute(db);
}
