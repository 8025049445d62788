import type { ColumnType } from 'kysely';

/**
 * A single row (`id` = 1) holding the rule-set version: it increases by one with every rule
 * publish, so every TSP process can tell with one cheap read whether its rules are current.
 */
export interface RiskRuleSetTable {
  id: number;
  version: number;
  updated_at: ColumnType<Date, string, string>;
}
