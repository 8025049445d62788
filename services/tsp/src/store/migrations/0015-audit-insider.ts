import { type Kysely, sql } from 'kysely';

/**
 * Audit history a database insider cannot rewrite (issue 20):
 * - the chain becomes keyed (HMAC under a key from the vault's KeyProvider): the old unkeyed
 *   SHA-256 links are cleared here, as the owner, and the service's chainer re-chains every
 *   entry under the key on its next pass (a migration cannot hold the key);
 * - signed checkpoints get a table of their own (also written outside the database).
 * The service role's rights on both tables (insert and select; on audit_entries an UPDATE of
 * the chain columns only, which the append-only trigger refuses on a chained row) are granted
 * after every migration run: store/database-roles.ts.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table audit_entries disable trigger audit_entries_append_only`.execute(db);
  await sql`update audit_entries set seq = null, prev_hash = null, hash = null where seq is not null`.execute(db);
  await sql`alter table audit_entries enable trigger audit_entries_append_only`.execute(db);
  await db.schema
    .createTable('audit_checkpoints')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('jws', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_checkpoints').execute();
}
