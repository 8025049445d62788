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
