import type { CardsTable } from './cards.table';
import type { DataKeysTable } from './data-keys.table';
import type { KekVersionsTable } from './kek-versions.table';
import type { KeyRotationsTable } from './key-rotations.table';
import type { TokenNumbersTable } from './token-numbers.table';
import type { TspKeysTable } from './tsp-keys.table';

/** Tables owned by the vault area (see store/migrations/0003-vault.ts). */
export interface VaultTables {
  kek_versions: KekVersionsTable;
  key_rotations: KeyRotationsTable;
  data_keys: DataKeysTable;
  cards: CardsTable;
  token_numbers: TokenNumbersTable;
  tsp_keys: TspKeysTable;
}
