import type { ColumnType, Generated } from 'kysely';

/**
 * The append-only audit log. Rows are inserted unchained (`seq`, `prev_hash`, `hash` null) in
 * the transaction of the change they record; the chainer then gives them their place in the
 * hash chain. Once chained a row is never updated.
 */
export interface AuditEntriesTable {
  /** Insertion order only; the chain order is `seq`. */
  pk: Generated<number>;
  id: string;
  seq: number | null;
  at: ColumnType<Date, string, never>;
  actor: ColumnType<AuditActor, string, never>;
  action: string;
  subject_type: string;
  subject_id: string;
  outcome: 'success' | 'denied' | 'failed';
  details: ColumnType<Record<string, unknown>, string, never>;
  request_id: string | null;
  prev_hash: string | null;
  hash: string | null;
}

export interface AuditActor {
  type: 'client' | 'system' | 'cli';
  clientId?: string;
}

/**
 * Signed checkpoints of the audit chain (migration 0015): the head `seq` and `hash` at a
 * moment, in a JWS under the TSP signing key. Also written outside the database (a file or
 * sink), since an owner who can truncate the log can truncate this table too.
 */
export interface AuditCheckpointsTable {
  id: Generated<number>;
  seq: number;
  hash: string;
  jws: string;
  created_at: ColumnType<Date, string | undefined, never>;
}
