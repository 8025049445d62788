import { type Kysely, sql } from 'kysely';

/**
 * Limits from the security review (issue 20):
 * - `token_provisioning.otp_failures`: wrong one-time codes per token, across every challenge
 *   and method (DESIGN §2 flow 3: a new challenge never resets the count);
 * - `token_provisioning.codes_window_start` / `codes_in_window`: codes sent per token in a fixed
 *   window (new challenges, method switches and re-sends alike);
 * - `verification_challenges.delivered_counter`: the HOTP counter whose code the issuer took
 *   for delivery; a challenge whose current code was not delivered cannot be confirmed.
 *   Challenges open at upgrade were delivered (they answered 201), so they keep working;
 * - `push_redemption_failures.subject`: the failed-redemption budget counts per wallet account
 *   and per device within a token requestor, not per requestor as a whole.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('token_provisioning')
    .addColumn('otp_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('codes_window_start', 'timestamptz')
    .addColumn('codes_in_window', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // Wrong codes counted so far (per challenge) carry over to the token's count.
  await sql`update token_provisioning p set otp_failures = s.attempts
            from (select token_ref, sum(attempts)::int as attempts from verification_challenges group by token_ref) s
            where s.token_ref = p.token_ref`.execute(db);

  await db.schema.alterTable('verification_challenges').addColumn('delivered_counter', 'integer').execute();
  await sql`update verification_challenges set delivered_counter = counter`.execute(db);

  await db.schema.alterTable('push_redemption_failures').addColumn('subject', 'text', (c) => c.notNull().defaultTo('requestor')).execute();
  await sql`alter table push_redemption_failures drop constraint push_redemption_failures_pk`.execute(db);
  await sql`alter table push_redemption_failures add constraint push_redemption_failures_pk primary key (trid, subject, window_start)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from push_redemption_failures where subject <> 'requestor'`.execute(db);
  await sql`alter table push_redemption_failures drop constraint push_redemption_failures_pk`.execute(db);
  await sql`alter table push_redemption_failures add constraint push_redemption_failures_pk primary key (trid, window_start)`.execute(db);
  await db.schema.alterTable('push_redemption_failures').dropColumn('subject').execute();
  await db.schema.alterTable('verification_challenges').dropColumn('delivered_counter').execute();
  await db.schema.alterTable('token_provisioning').dropColumn('codes_in_window').dropColumn('codes_window_start').dropColumn('otp_failures').execute();
}
