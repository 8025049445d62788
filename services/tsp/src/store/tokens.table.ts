import type { ColumnType, Generated } from 'kysely';

/**
 * One payment token. The token PAN is a surrogate (not card data) and is kept in clear so
 * detokenization can find the token with one indexed read; the funding PAN lives only in the
 * vault (`cards`), encrypted.
 */
export interface TokensTable {
  token_ref: string;
  token_pan: string;
  token_exp_month: number;
  token_exp_year: number;
  card_ref: string;
  issuer_id: string;
  /** The token requestor: its TRID and the client acting for it. */
  trid: string;
  requestor_client_id: string;
  wallet_account_id: string;
  status: 'INACTIVE' | 'ACTIVE' | 'SUSPENDED' | 'DELETED';
  status_reason: string | null;
  assurance_method: string;
  token_location: string;
  channels: string[];
  merchant_ids: string[] | null;
  /** The device summary shown in the token (no IP, location or scores: those go to risk). */
  device: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  par: string;
  /** Highest application transaction counter handed out with a cryptogram. */
  last_atc: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  activated_at: Date | null;
}
