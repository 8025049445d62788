import { type Kysely, sql } from 'kysely';

/**
 * The vault: key-encryption-key versions, data keys (DEKs) wrapped under them, cards sealed
 * under their DEK, token-number allocations and the TSP's own JOSE keys (sealed).
 * No column holds a PAN or key material in clear (see docs/security.md).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('kek_versions')
    .addColumn('version', 'integer', (c) => c.primaryKey())
    .addColumn('kid', 'text', (c) => c.notNull().unique())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'retiring', 'retired')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('retired_at', 'timestamptz')
    .execute();
  // Exactly one version wraps new data keys.
  await sql`create unique index kek_versions_one_active on kek_versions ((true)) where status = 'active'`.execute(db);

  await db.schema
    .createTable('key_rotations')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('from_version', 'integer', (c) => c.notNull())
    .addColumn('to_version', 'integer', (c) => c.notNull().references('kek_versions.version'))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running', 'completed', 'failed')`))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('completed_at', 'timestamptz')
    .addColumn('deks_total', 'integer', (c) => c.notNull())
    .addColumn('deks_rewrapped', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .execute();
  await sql`create unique index key_rotations_one_running on key_rotations ((true)) where status = 'running'`.execute(db);

  await db.schema
    .createTable('data_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('owner_ref', 'text')
    .addColumn('kek_version', 'integer', (c) => c.notNull().references('kek_versions.version'))
    // iv ‖ AES-256-GCM(KEK, DEK) ‖ tag; null once destroyed (crypto-shredding).
    .addColumn('wrapped_key', 'bytea')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('destroyed_at', 'timestamptz')
    .execute();
  // The re-wrap job and the status counts look only at live keys, by version.
  await sql`create index data_keys_live_by_kek on data_keys (kek_version) where wrapped_key is not null`.execute(db);

  await db.schema
    .createTable('cards')
    .addColumn('card_ref', 'text', (c) => c.primaryKey())
    .addColumn('issuer_id', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.unique())
    .addColumn('par', 'text', (c) => c.notNull())
    .addColumn('pan_last4', 'text', (c) => c.notNull())
    .addColumn('exp_month', 'smallint', (c) => c.notNull())
    .addColumn('exp_year', 'smallint', (c) => c.notNull())
    .addColumn('dek_id', 'text', (c) => c.notNull().references('data_keys.id'))
    .addColumn('ciphertext', 'bytea')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'deleted')`))
    .addColumn('product', 'text')
    .addColumn('card_art_asset_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('cards_issuer').on('cards').column('issuer_id').execute();
  await db.schema.createIndex('cards_par').on('cards').column('par').execute();

  await db.schema
    .createTable('token_numbers')
    .addColumn('number', 'text', (c) => c.primaryKey())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('token_length', 'smallint', (c) => c.notNull())
    .addColumn('allocated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('token_numbers_range').on('token_numbers').columns(['prefix', 'token_length']).execute();

  await db.schema
    .createTable('tsp_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('use', 'text', (c) => c.notNull().check(sql`use in ('sig', 'enc')`))
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('current', 'published', 'retired')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('retire_after', 'timestamptz')
    .addColumn('retired_at', 'timestamptz')
    // The private JWK, sealed by the envelope (purpose `tsp-key`); null once retired.
    .addColumn('sealed_jwk', 'text')
    .execute();
  await sql`create unique index tsp_keys_one_current on tsp_keys (alg) where status = 'current'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['tsp_keys', 'token_numbers', 'cards', 'data_keys', 'key_rotations', 'kek_versions']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
