import type { ColumnType, Generated } from 'kysely';

/** One version of the key-encryption key (KEK). The key itself lives in the `KeyProvider`. */
export interface KekVersionsTable {
  version: number;
  /** The provider's id for the key (`kek-<version>` in the keystore file). */
  kid: string;
  provider: string;
  /** `active` wraps new DEKs; `retiring` still unwraps; `retired` is destroyed in the provider. */
  status: 'active' | 'retiring' | 'retired';
  created_at: Generated<Date>;
  retired_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}
