import { type Kysely, sql } from 'kysely';

/**
 * Identity and access: issuers with their card and token BIN ranges, OAuth2 clients, the
 * single-use `jti`s of `private_key_jwt` assertions (RFC 7523 §3 item 7), the TRID sequence
 * and the rate limiter's cluster-wide counters. Every change to a client or an issuer is
 * announced with NOTIFY `opentsp_registry` so every TSP process updates its in-memory
 * registry (suspension takes effect at once, DESIGN §5).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('issuers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('country', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'suspended')`))
    .addColumn('decision_url', 'text')
    .addColumn('otp_delivery_url', 'text')
    .addColumn('webhook_url', 'text')
    .addColumn('jwks', 'jsonb')
    .addColumn('stand_in_decision', 'text', (c) => c.notNull().check(sql`stand_in_decision in ('approve', 'step_up', 'decline')`))
    .addColumn('bin_controller_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('issuers_created').on('issuers').columns(['created_at', 'id']).execute();

  for (const [table, length] of [
    ['issuer_card_bin_ranges', 'pan_length'],
    ['issuer_token_bin_ranges', 'token_length'],
  ] as const) {
    await db.schema
      .createTable(table)
      .addColumn('prefix', 'text', (c) => c.notNull().check(sql`prefix ~ '^[0-9]{6,11}$'`))
      .addColumn(length, 'integer', (c) => c.notNull().check(sql.raw(`${length} between 16 and 19`)))
      .addColumn('issuer_id', 'text', (c) => c.notNull().references('issuers.id').onDelete('cascade'))
      .addPrimaryKeyConstraint(`${table}_pk`, ['prefix', length])
      .execute();
    await db.schema.createIndex(`${table}_issuer`).on(table).column('issuer_id').execute();
  }

  // TRIDs are the TSP code + 8 digits (DESIGN §1); the sequence makes them unique per TSP.
  await sql`create sequence client_trid_seq minvalue 1 maxvalue 99999999 no cycle`.execute(db);

  await db.schema
    .createTable('clients')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('issuer', 'wallet', 'cof_merchant', 'acquirer', 'admin')`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'suspended')`))
    .addColumn('trid', 'text', (c) => c.unique())
    .addColumn('issuer_id', 'text', (c) => c.references('issuers.id'))
    .addColumn('scopes', 'jsonb', (c) => c.notNull())
    .addColumn('allowed_channels', 'jsonb')
    .addColumn('merchant_ids', 'jsonb')
    .addColumn('webhook_url', 'text')
    .addColumn('app_uri', 'text')
    .addColumn('web_uri', 'text')
    .addColumn('jwks', 'jsonb')
    .addColumn('token_endpoint_auth_method', 'text', (c) =>
      c.notNull().check(sql`token_endpoint_auth_method in ('client_secret_basic', 'private_key_jwt')`),
    )
    // scrypt hashes in PHC-like form `$scrypt$ln=14,r=8,p=1$salt$hash` (see client-secrets.ts).
    .addColumn('secret_hash', 'text')
    .addColumn('previous_secret_hash', 'text')
    .addColumn('previous_secret_expires_at', 'timestamptz')
    .addColumn('response_encryption_alg', 'text', (c) => c.check(sql`response_encryption_alg in ('A256GCMKW', 'RSA-OAEP-256')`))
    // The A256GCMKW response key, sealed by the vault envelope (`ev1.…`, AAD client-key:<id>).
    .addColumn('response_key_sealed', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('clients_trid_role', sql`(trid is not null) = (role in ('wallet', 'cof_merchant'))`)
    .addCheckConstraint('clients_issuer_role', sql`(issuer_id is not null) = (role = 'issuer')`)
    .execute();
  await db.schema.createIndex('clients_created').on('clients').columns(['created_at', 'id']).execute();

  await db.schema
    .createTable('client_assertion_jtis')
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('jti', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('client_assertion_jtis_pk', ['client_id', 'jti'])
    .execute();
  await db.schema.createIndex('client_assertion_jtis_expires').on('client_assertion_jtis').column('expires_at').execute();

  // rate-limiter-flexible's RateLimiterPostgres table (created here, not by the library).
  await sql`create table rate_limit_counters (key varchar(255) primary key, points integer not null default 0, expire bigint)`.execute(db);

  await sql`
    create function opentsp_registry_notify() returns trigger language plpgsql as $$
    declare
      row_id text;
    begin
      if tg_table_name = 'clients' then
        row_id := coalesce(new.id, old.id);
        perform pg_notify('opentsp_registry', 'client:' || row_id);
      elsif tg_table_name = 'issuers' then
        row_id := coalesce(new.id, old.id);
        perform pg_notify('opentsp_registry', 'issuer:' || row_id);
      else
        row_id := coalesce(new.issuer_id, old.issuer_id);
        perform pg_notify('opentsp_registry', 'issuer:' || row_id);
      end if;
      return null;
    end $$`.execute(db);
  for (const table of ['clients', 'issuers', 'issuer_card_bin_ranges', 'issuer_token_bin_ranges']) {
    await sql`create trigger ${sql.raw(`${table}_notify`)} after insert or update or delete on ${sql.table(table)}
      for each row execute function opentsp_registry_notify()`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['rate_limit_counters', 'client_assertion_jtis', 'clients', 'issuer_token_bin_ranges', 'issuer_card_bin_ranges', 'issuers']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  await sql`drop sequence if exists client_trid_seq`.execute(db);
  await sql`drop function if exists opentsp_registry_notify()`.execute(db);
}
