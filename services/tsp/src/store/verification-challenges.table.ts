import type { ColumnType, Generated } from 'kysely';

/**
 * An ID&V OTP challenge. The HOTP secret is sealed by the vault envelope (purpose `otp`,
 * owner the challenge id); the code itself is never stored. `counter` is the HOTP moving
 * factor of the code currently valid (RFC 4226 §5.2); a re-send advances it.
 */
export interface VerificationChallengesTable {
  challenge_id: string;
  token_ref: string;
  method: ColumnType<Record<string, unknown>, string, string>;
  sealed_secret: string;
  counter: number;
  status: 'open' | 'locked' | 'completed' | 'closed';
  attempts: Generated<number>;
  max_attempts: number;
  /** The counter whose code the issuer accepted for delivery; confirmable only when equal to `counter` (migration 0013). */
  delivered_counter: number | null;
  expires_at: Date;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}
