import type { ColumnType, Generated } from 'kysely';
import type { RiskEvaluationPointColumn, RiskRuleOutcomeColumn } from './risk-rules.table';

export type RiskOutcomeColumn = 'approve' | 'step_up' | 'decline';

export interface StoredFiredRule {
  ruleId: string;
  version: number;
  reasonCode: string;
  outcome: RiskRuleOutcomeColumn;
}

export interface StoredIssuerDecision {
  decision: RiskOutcomeColumn;
  reasonCode?: string;
  source: 'issuer' | 'stand_in';
}

/**
 * One row per risk decision (`dec_…`). `signals` holds the evaluated facts flattened by dotted
 * name; it never holds card data (no PAN, expiry or CVV2: only references and fingerprints).
 */
export interface RiskDecisionsTable {
  pk: Generated<number>;
  decision_id: string;
  kind: RiskEvaluationPointColumn;
  /** The risk engine's outcome. */
  risk_outcome: RiskOutcomeColumn;
  /** The final outcome (the engine's, or combined with the issuer's decision later). */
  outcome: RiskOutcomeColumn;
  reason_codes: string[];
  fired_rules: ColumnType<StoredFiredRule[], string, string>;
  rule_set_version: number;
  score: number;
  signals: ColumnType<Record<string, unknown>, string, string>;
  issuer_decision: ColumnType<StoredIssuerDecision | null, string | null, string | null>;
  token_ref: string | null;
  card_ref: string | null;
  client_id: string | null;
  created_at: ColumnType<Date, string, never>;
}
