import { type Kysely, sql } from 'kysely';

/** The webhook outbox (DESIGN §4): events and one delivery per recipient. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhook_events')
    .addColumn('pk', 'bigserial', (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('token_ref', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('pk', 'bigserial', (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('event_pk', 'bigint', (c) => c.notNull().references('webhook_events.pk'))
    .addColumn('recipient_type', 'text', (c) => c.notNull().check(sql`recipient_type in ('client', 'issuer')`))
    .addColumn('recipient_id', 'text', (c) => c.notNull())
    .addColumn('token_ref', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'delivered', 'failed', 'dead')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz')
    .addColumn('last_attempt_at', 'timestamptz')
    .addColumn('last_response_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('url', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('delivered_at', 'timestamptz')
    .addUniqueConstraint('webhook_deliveries_event_recipient', ['event_pk', 'recipient_type', 'recipient_id'])
    .execute();

  // The ordering check ("is an earlier delivery of this stream still in line?") runs before
  // every attempt; only in-line rows are indexed, so it stays cheap as history grows.
  await sql`create index webhook_deliveries_in_line on webhook_deliveries
    (recipient_type, recipient_id, token_ref, pk) where next_attempt_at is not null`.execute(db);
  // The admin list: newest first, optionally by status or recipient.
  await sql`create index webhook_deliveries_newest on webhook_deliveries (created_at desc, id desc)`.execute(db);
  await sql`create index webhook_deliveries_status_newest on webhook_deliveries (status, created_at desc, id desc)`.execute(db);
  await sql`create index webhook_deliveries_recipient_newest on webhook_deliveries
    (recipient_type, recipient_id, created_at desc, id desc)`.execute(db);
  await db.schema.createIndex('webhook_deliveries_event').on('webhook_deliveries').column('event_pk').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('webhook_deliveries').execute();
  await db.schema.dropTable('webhook_events').execute();
}
