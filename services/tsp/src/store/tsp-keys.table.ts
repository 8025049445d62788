import type { ColumnType, Generated } from 'kysely';

/**
 * The TSP's own JOSE keys (published at /.well-known/jwks.json). The private JWK is sealed by
 * the vault envelope; `published` keys stay in the JWKS until `retire_after`.
 */
export interface TspKeysTable {
  kid: string;
  use: 'sig' | 'enc';
  alg: string;
  status: 'current' | 'published' | 'retired';
  created_at: Generated<Date>;
  retire_after: ColumnType<Date | null, Date | string | null, Date | string | null>;
  retired_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  sealed_jwk: string | null;
}
