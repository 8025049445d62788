import type { components } from '@opentsp/api-types';
import { NotFoundError } from '../errors';
import { riskDecisionsRepository, type StoredRiskDecision } from '../store/risk-decisions.repository';
import { riskRulesRepository } from '../store/risk-rules.repository';
import type { Executor } from '../store/transaction';
import { unflattenFacts } from './facts';
import { toRuleDocument, type RuleBook } from './rule-book';
import { combineOutcome, isMoreSevere, type RiskRuleDocument } from './rule-set';
import { assertValidRule } from './rule-validation';

export type DryRunRequest = components['schemas']['RiskRuleDryRunRequest'];
export type DryRunResult = components['schemas']['RiskRuleDryRunResult'];
export type RiskDecisionView = components['schemas']['RiskDecision'];

const DAY_MS = 24 * 3_600_000;
const MAX_SAMPLES = 50;

/**
 * Replays recorded decisions (their stored facts) through the current rule set with the
 * rule's current version — or an unsaved definition — treated as enabled, and counts how
 * the outcomes would differ from the recorded ones. Nothing is stored.
 *
 * @throws NotFoundError `rule_not_found`; ValidationError `rule_invalid` for a bad `rule`.
 */
export async function dryRunRule(db: Executor, book: RuleBook, ruleId: string, request: DryRunRequest = {}, now = new Date()): Promise<DryRunResult> {
  const current = await riskRulesRepository.get(db, ruleId);
  if (!current) throw new NotFoundError('rule_not_found', `No risk rule ${ruleId}.`);
  if (request.rule) assertValidRule(request.rule);
  const tested: RiskRuleDocument = request.rule
    ? { ...toRuleDocument(current), ...request.rule, description: request.rule.description ?? '', appliesTo: [...request.rule.appliesTo], enabled: true }
    : { ...toRuleDocument(current), enabled: true };
  const ruleSet = book.ruleSet().withRule(tested);
  const since = request.since ? new Date(request.since) : new Date(now.getTime() - DAY_MS);
  const decisions = await riskDecisionsRepository.listSince(db, since, request.limit ?? 1000);

  const changes = { approveToStepUp: 0, approveToDecline: 0, stepUpToDecline: 0, toLessSevere: 0, unchanged: 0 };
  let matched = 0;
  const samples: DryRunResult['samples'] = [];
  for (const decision of decisions) {
    const fired = await ruleSet.evaluate(decision.kind, unflattenFacts(decision.signals));
    const ruleFired = fired.some((rule) => rule.ruleId === ruleId);
    if (ruleFired) matched += 1;
    const recorded = decision.riskOutcome;
    const withRule = combineOutcome(fired);
    if (withRule === recorded) {
      changes.unchanged += 1;
      continue;
    }
    if (recorded === 'approve' && withRule === 'step_up') changes.approveToStepUp += 1;
    else if (recorded === 'approve' && withRule === 'decline') changes.approveToDecline += 1;
    else if (recorded === 'step_up' && withRule === 'decline') changes.stepUpToDecline += 1;
    else if (isMoreSevere(recorded, withRule)) changes.toLessSevere += 1;
    if (samples.length < MAX_SAMPLES) {
      samples.push({
        decisionId: decision.decisionId,
        createdAt: decision.createdAt.toISOString(),
        kind: decision.kind,
        recordedOutcome: recorded,
        outcomeWithRule: withRule,
        ruleFired,
      });
    }
  }
  return {
    ruleId,
    ...(request.rule ? {} : { version: current.version }),
    evaluated: decisions.length,
    matched,
    outcomeChanges: changes,
    samples,
  };
}

/** A stored decision as the admin API shows it (never card data: facts hold refs only). */
export function toDecisionView(decision: StoredRiskDecision): RiskDecisionView {
  return {
    decisionId: decision.decisionId,
    kind: decision.kind,
    outcome: decision.outcome,
    reasonCodes: decision.reasonCodes,
    firedRules: decision.firedRules,
    ruleSetVersion: Math.max(1, decision.ruleSetVersion),
    score: decision.score,
    ...(decision.issuerDecision ? { issuerDecision: decision.issuerDecision } : {}),
    signals: decision.signals,
    ...(decision.tokenRef ? { tokenRef: decision.tokenRef } : {}),
    ...(decision.cardRef ? { cardRef: decision.cardRef } : {}),
    ...(decision.clientId ? { clientId: decision.clientId } : {}),
    createdAt: decision.createdAt.toISOString(),
  };
}
