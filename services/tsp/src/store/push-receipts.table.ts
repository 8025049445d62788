import type { ColumnType, Generated } from 'kysely';

/**
 * One push receipt (DESIGN §2 flow 4; Mastercard MDES Token Connect `pushAccountReceipt`).
 * The redeemable value is a bearer secret: only its SHA-256 is stored (`receipt_hash`), so a
 * database reader cannot redeem anything. Single use: `redeemed_at` is set once, by an atomic
 * `UPDATE … WHERE redeemed_at IS NULL`.
 */
export interface PushReceiptsTable {
  /** `pr_…`: the issuer's reference, not the redeemable value. */
  id: string;
  /** Lower-case hex SHA-256 of the receipt value. */
  receipt_hash: string;
  card_ref: string;
  issuer_id: string;
  /** The only token requestor that may redeem it. */
  trid: string;
  /** When set, the only wallet account that may redeem it. */
  wallet_account_id: string | null;
  /** The target device the bank named (a `DeviceSummary`, no IP, location or scores). */
  device: ColumnType<Record<string, unknown> | null, string | null, never>;
  callback_url: string | null;
  /** The issuer's OAuth2 client that created it. */
  created_by: string;
  expires_at: Date;
  redeemed_at: Date | null;
  redeemed_token_ref: string | null;
  created_at: Generated<Date>;
}

/**
 * Failed push-receipt redemptions per token requestor, subject (`account:<walletAccountId>` or
 * `device:<deviceId>`, migration 0013) and fixed window: a cluster-wide budget (DESIGN §5
 * "push-receipt guessing is bounded"), shared by every TSP process through Postgres.
 */
export interface PushRedemptionFailuresTable {
  trid: string;
  subject: string;
  window_start: Date;
  failures: number;
}
