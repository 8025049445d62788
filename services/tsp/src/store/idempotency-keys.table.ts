import type { ColumnType, Generated } from 'kysely';

/** One `Idempotency-Key` a client used, and the response it got (replayed on repeats). */
export interface IdempotencyKeysTable {
  client_id: string;
  key: string;
  /** SHA-256 of method, path and canonical body: a repeat with another body is refused. */
  request_hash: string;
  state: 'in_progress' | 'done';
  /** While in progress, another attempt may take over only after this moment (crash recovery). */
  locked_until: ColumnType<Date, Date | string, Date | string>;
  response_status: number | null;
  response_body: ColumnType<unknown, string | null, string | null> | null;
  created_at: Generated<Date>;
  expires_at: ColumnType<Date, Date | string, Date | string>;
}
