import { type Kysely, sql } from 'kysely';

/** The hash-chained, append-only audit log (PCI DSS 4.0 req. 10). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_entries')
    .addColumn('pk', 'bigserial', (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('seq', 'bigint', (c) => c.unique())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('actor', 'jsonb', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject_type', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('success', 'denied', 'failed')`))
    .addColumn('details', 'jsonb', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addColumn('prev_hash', 'text')
    .addColumn('hash', 'text')
    .execute();
  // The chainer looks for unchained rows; a partial index keeps that cheap as the log grows.
  await sql`create index audit_entries_unchained on audit_entries (pk) where seq is null`.execute(db);
  await db.schema.createIndex('audit_entries_subject').on('audit_entries').columns(['subject_type', 'subject_id']).execute();
  // Append-only, enforced by the database too: a chained row cannot be changed or deleted by
  // the application role. (A superuser can still tamper; `opentsp audit verify` detects it.)
  await sql`
    create function audit_entries_guard() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' then
        raise exception 'audit entries are append-only';
      end if;
      if old.seq is not null then
        raise exception 'audit entries are append-only';
      end if;
      if new.id <> old.id or new.at <> old.at or new.actor <> old.actor or new.action <> old.action
         or new.subject_type <> old.subject_type or new.subject_id <> old.subject_id
         or new.outcome <> old.outcome or new.details <> old.details then
        raise exception 'audit entries are append-only';
      end if;
      return new;
    end $$`.execute(db);
  await sql`create trigger audit_entries_append_only before update or delete on audit_entries
    for each row execute function audit_entries_guard()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_entries').execute();
  await sql`drop function if exists audit_entries_guard()`.execute(db);
}
