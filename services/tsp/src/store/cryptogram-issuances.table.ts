import type { ColumnType } from 'kysely';

/**
 * One cryptogram handed out with payment credentials: the transaction data it covers, when
 * it expires and when (if ever) a detokenization consumed it. Primary key (token_ref, atc):
 * each ATC of a token is issued once and accepted once (EMV Book 2 §8.1: the ATC never repeats).
 */
export interface CryptogramIssuancesTable {
  token_ref: string;
  atc: number;
  amount: number;
  currency: string;
  merchant_id: string;
  channel: string;
  transaction_type: string;
  unpredictable_number: string | null;
  issued_at: ColumnType<Date, Date | string | undefined, never>;
  expires_at: ColumnType<Date, Date | string, never>;
  used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}
