import type { ColumnType, Generated } from 'kysely';

/**
 * A card in the vault. The PAN and cardholder name exist only inside `ciphertext`
 * (AES-256-GCM under the card's own DEK); `fingerprint` is a keyed HMAC of the PAN, `par`
 * derives from it. Expiry alone is not card data (PCI DSS 4.0 req. 3 applies to it only
 * with the PAN), so it stays in clear for expiry checks and display.
 */
export interface CardsTable {
  card_ref: string;
  issuer_id: string;
  /** Null once the card is deleted (the PAN must not be findable any more). */
  fingerprint: string | null;
  par: string;
  pan_last4: string;
  exp_month: number;
  exp_year: number;
  dek_id: string;
  /** Null once the card is deleted. */
  ciphertext: Buffer | null;
  status: 'active' | 'deleted';
  product: string | null;
  card_art_asset_id: string | null;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  deleted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}
