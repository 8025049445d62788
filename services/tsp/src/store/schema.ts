/**
 * The Kysely view of the database: one entry per table, each table's row type in its own
 * `<table>.table.ts`, grouped by the area that owns it. Migrations in ./migrations are the
 * truth; keep this in step with them.
 */
import type { AuditCheckpointsTable, AuditEntriesTable } from './audit-entries.table';
import type { IdempotencyKeysTable } from './idempotency-keys.table';
import type { VaultTables } from './vault.tables';
import type { IdentityTables } from './identity.tables';
import type { RiskTables } from './risk.tables';
import type { WebhooksTables } from './webhooks.tables';
import type { TokensTables } from './tokens.tables';
import type { PaymentsTables } from './payments.tables';
import type { PushTables } from './push.tables';

export interface FoundationTables {
  idempotency_keys: IdempotencyKeysTable;
  audit_entries: AuditEntriesTable;
  audit_checkpoints: AuditCheckpointsTable;
}

export interface Database
  extends FoundationTables,
    VaultTables,
    IdentityTables,
    RiskTables,
    WebhooksTables,
    TokensTables,
    PaymentsTables,
    PushTables {}
