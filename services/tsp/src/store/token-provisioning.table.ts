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
  created_at: Generated<Date>;
}
