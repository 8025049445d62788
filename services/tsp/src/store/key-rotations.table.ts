import type { ColumnType, Generated } from 'kysely';

/** One KEK rotation and the progress of its background re-wrap. */
export interface KeyRotationsTable {
  id: Generated<number>;
  from_version: number;
  to_version: number;
  status: 'running' | 'completed' | 'failed';
  started_at: Generated<Date>;
  completed_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  deks_total: number;
  deks_rewrapped: Generated<number>;
  error: string | null;
}
