import type { ColumnType, Generated } from 'kysely';

/** How a token was decided at provisioning, and its ID&V offer (migrations/0008-verification.ts). */
export interface TokenProvisioningTable {
  token_ref: string;
  risk_decision_id: string | null;
  risk_outcome: string | null;
  /** The decision applied: the issuer's answer, its stand-in, or `none` (push, no decision call). */
  issuer_decision: 'approve' | 'step_up' | 'decline' | 'none';
  decision_source: 'issuer' | 'stand_in' | 'push';
  reason_code: string | null;
  /** With step-up: the ID&V methods offered (masked destinations only). */
  idv_methods: ColumnType<Array<Record<string, unknown>> | null, string | null, string | null>;
  resends_used: Generated<number>;
  /** Wrong one-time codes of the token, every challenge and method together (migration 0013). */
  otp_failures: Generated<number>;
  /** Start of the current window of sent codes, and how many were sent in it (migration 0013). */
  codes_window_start: Date | null;
  codes_in_window: Generated<number>;
  created_at: Generated<Date>;
}
