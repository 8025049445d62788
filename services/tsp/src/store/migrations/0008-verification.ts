import { type Kysely, sql } from 'kysely';

/**
 * Provisioning decisions and ID&V step-up (EMVCo Payment Tokenisation Technical Framework
 * §6.3 identification and verification):
 * - `token_provisioning`: per token, how it was decided (risk decision, issuer or stand-in
 *   decision) and, on step-up, the ID&V methods the issuer offered and the resends used;
 * - `verification_challenges`: one OTP challenge per chosen method; the HOTP secret is sealed
 *   by the vault envelope (purpose `otp`), never stored in clear, and never returned;
 * - `tokens.status_actor`: who made the last status change, so a token requestor can resume
 *   only a suspension it made itself.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tokens').addColumn('status_actor', 'text').execute();

  await db.schema
    .createTable('token_provisioning')
    .addColumn('token_ref', 'text', (c) => c.primaryKey().references('tokens.token_ref').onDelete('cascade'))
    .addColumn('risk_decision_id', 'text')
    .addColumn('risk_outcome', 'text')
    .addColumn('issuer_decision', 'text', (c) => c.notNull().check(sql`issuer_decision in ('approve', 'step_up', 'decline', 'none')`))
    .addColumn('decision_source', 'text', (c) => c.notNull().check(sql`decision_source in ('issuer', 'stand_in', 'push')`))
    .addColumn('reason_code', 'text')
    .addColumn('idv_methods', 'jsonb')
    .addColumn('resends_used', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('verification_challenges')
    .addColumn('challenge_id', 'text', (c) => c.primaryKey())
    .addColumn('token_ref', 'text', (c) => c.notNull().references('tokens.token_ref').onDelete('cascade'))
    .addColumn('method', 'jsonb', (c) => c.notNull())
    .addColumn('sealed_secret', 'text', (c) => c.notNull())
    .addColumn('counter', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'locked', 'completed', 'closed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('verification_challenges_token').on('verification_challenges').columns(['token_ref', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('verification_challenges').ifExists().execute();
  await db.schema.dropTable('token_provisioning').ifExists().execute();
  await db.schema.alterTable('tokens').dropColumn('status_actor').execute();
}
