import type { ColumnType } from 'kysely';

/** Keys of the payments area, sealed by the vault envelope (e.g. the cryptogram master key). */
export interface PaymentKeysTable {
  name: string;
  sealed_key: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}
