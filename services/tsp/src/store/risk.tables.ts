import type { RiskCardStateTable } from './risk-card-state.table';
import type { RiskDecisionsTable } from './risk-decisions.table';
import type { RiskDeviceLinksTable } from './risk-device-links.table';
import type { RiskRuleSetTable } from './risk-rule-set.table';
import type { RiskRuleVersionsTable } from './risk-rule-versions.table';
import type { RiskRulesTable } from './risk-rules.table';
import type { RiskVelocityTable } from './risk-velocity.table';

/**
 * Tables owned by the risk area (see store/migrations/0005-risk.ts). Each row type lives in
 * its own `<table>.table.ts`.
 */
export interface RiskTables {
  risk_rules: RiskRulesTable;
  risk_rule_versions: RiskRuleVersionsTable;
  risk_rule_set: RiskRuleSetTable;
  risk_decisions: RiskDecisionsTable;
  risk_velocity: RiskVelocityTable;
  risk_card_state: RiskCardStateTable;
  risk_device_links: RiskDeviceLinksTable;
}
