import type { ColumnType, Generated } from 'kysely';

/**
 * A data-encryption key (DEK), stored only wrapped under a KEK version. A card's DEK is its
 * own (`owner_ref` = the card ref); other purposes may share one DEK across a bounded number
 * of records (`owner_ref` null). `wrapped_key` null means destroyed (crypto-shredded).
 */
export interface DataKeysTable {
  id: string;
  purpose: string;
  owner_ref: string | null;
  kek_version: number;
  wrapped_key: Buffer | null;
  created_at: Generated<Date>;
  destroyed_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
}
