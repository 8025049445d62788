import type { ColumnType } from 'kysely';

/**
 * Bucketed velocity counters: one row per (counter key, 10-minute bucket). A window is the
 * sum of the buckets it covers; concurrent increments from several processes serialise on
 * the row (`INSERT … ON CONFLICT DO UPDATE`), so no count is lost.
 */
export interface RiskVelocityTable {
  key: string;
  bucket: ColumnType<Date, string, string>;
  count: number;
}
