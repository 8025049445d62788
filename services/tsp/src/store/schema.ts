/**
 * The Kysely view of the database: one entry per table, each table's row type in its own
 * `<table>.table.ts`. Migrations in ./migrations are the truth; keep this in step with them.
 */
import type { IdempotencyKeysTable } from './idempotency-keys.table';

export interface Database {
  idempotency_keys: IdempotencyKeysTable;
}
