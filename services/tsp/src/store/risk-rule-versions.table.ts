import type { RiskRulesTable } from './risk-rules.table';

/** Append-only history of every published rule version (same columns as `risk_rules`). */
export type RiskRuleVersionsTable = RiskRulesTable;
