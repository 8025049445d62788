import type { AuditLog } from '../audit/audit-log';
import { riskRulesRepository, type StoredRiskRule } from '../store/risk-rules.repository';
import type { UnitOfWork } from '../store/transaction';
import { DEFAULT_RULES, defaultRuleId } from './default-rules';

/** `createdBy` of the default rules (a client id by the contract's pattern, no such client). */
export const DEFAULT_RULES_AUTHOR = 'cli_opentspDefaultRules';

/**
 * Publishes the default rules the first time any TSP process starts on a database (no
 * rule-set version yet), as rule-set version 1 with one `risk_rule.publish` audit entry
 * listing them. Processes starting together serialise on an advisory lock; once seeded,
 * admins own the rules — disabling every default does not bring them back.
 * Resolves with the number of rules seeded (0 when already seeded).
 */
export async function seedDefaultRules(uow: UnitOfWork, audit: AuditLog, now = new Date()): Promise<number> {
  if ((await riskRulesRepository.ruleSetVersion(uow.executor)) > 0) return 0;
  return uow.transaction(async (tx) => {
    await riskRulesRepository.lockForSeeding(tx);
    if ((await riskRulesRepository.ruleSetVersion(tx)) > 0) return 0;
    const rules: StoredRiskRule[] = DEFAULT_RULES.map((rule, index) => ({
      ruleId: defaultRuleId(index, rule.reasonCode),
      version: 1,
      name: rule.name,
      description: rule.description,
      enabled: true,
      priority: rule.priority,
      appliesTo: [...rule.appliesTo],
      conditions: rule.conditions,
      outcome: rule.outcome,
      reasonCode: rule.reasonCode,
      createdAt: now,
      createdBy: DEFAULT_RULES_AUTHOR,
    }));
    // Bulk: seeding runs on every fresh database (each test's too), so keep it to a few statements.
    await riskRulesRepository.insertNew(tx, rules);
    const ruleSetVersion = await riskRulesRepository.bumpRuleSetVersion(tx, now);
    await audit.append(tx, {
      actor: { type: 'system' },
      action: 'risk_rule.publish',
      subject: { type: 'risk_rule_set', id: 'default' },
      outcome: 'success',
      details: { change: 'seed', ruleSetVersion, rules: rules.map((r) => ({ ruleId: r.ruleId, version: 1, reasonCode: r.reasonCode, outcome: r.outcome })) },
    });
    return rules.length;
  });
}
