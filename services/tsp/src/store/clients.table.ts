import type { ColumnType, Generated } from 'kysely';

type Json<T> = ColumnType<T, string, string>;
type NullableJson<T> = ColumnType<T | null, string | null, string | null>;

/** An OAuth2 client: an issuer back end, a token requestor, an acquirer or an operator. */
export interface ClientsTable {
  id: string;
  role: 'issuer' | 'wallet' | 'cof_merchant' | 'acquirer' | 'admin';
  name: string;
  status: 'active' | 'suspended';
  trid: string | null;
  issuer_id: string | null;
  scopes: Json<string[]>;
  allowed_channels: NullableJson<string[]>;
  merchant_ids: NullableJson<string[]>;
  webhook_url: string | null;
  app_uri: string | null;
  web_uri: string | null;
  jwks: NullableJson<{ keys: Record<string, unknown>[] }>;
  token_endpoint_auth_method: 'client_secret_basic' | 'private_key_jwt';
  /** scrypt hash of the current secret (`client_secret_basic`). */
  secret_hash: string | null;
  /** The secret before the last rotation, valid until `previous_secret_expires_at`. */
  previous_secret_hash: string | null;
  previous_secret_expires_at: Date | null;
  response_encryption_alg: 'A256GCMKW' | 'RSA-OAEP-256' | null;
  /** The A256GCMKW response key (JWK JSON) sealed by the vault envelope (`ev1.…`). */
  response_key_sealed: string | null;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}
