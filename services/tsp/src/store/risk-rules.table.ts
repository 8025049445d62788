import type { ColumnType } from 'kysely';

/** Rule outcome as stored: `flag` only adds a reason code (see openapi `RiskRuleOutcome`). */
export type RiskRuleOutcomeColumn = 'step_up' | 'decline' | 'flag';
export type RiskEvaluationPointColumn = 'provisioning' | 'push_redemption' | 'detokenization';

/**
 * The current version of every risk rule (one row per rule). Each publish also appends the
 * same row to `risk_rule_versions`, the append-only history.
 */
export interface RiskRulesTable {
  rule_id: string;
  version: number;
  name: string;
  description: string | null;
  enabled: boolean;
  priority: number;
  applies_to: RiskEvaluationPointColumn[];
  /** A json-rules-engine TopLevelCondition, validated on save. */
  conditions: ColumnType<Record<string, unknown>, string, string>;
  outcome: RiskRuleOutcomeColumn;
  reason_code: string;
  created_at: ColumnType<Date, string, string>;
  created_by: string;
}
