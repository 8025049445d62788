import { buildFacts } from '../../../src/risk/facts';
import { DEFAULT_RULES, defaultRuleId } from '../../../src/risk/default-rules';
import { CompiledRuleSet, type RiskRuleDocument } from '../../../src/risk/rule-set';
import type { RiskEvaluationPoint, RiskFacts } from '../../../src/risk/signals';

export const NOW = new Date('2026-03-01T12:00:00Z');

/** Facts of an unremarkable request: a known, trusted device in the card's country. */
export function cleanFacts(point: RiskEvaluationPoint): RiskFacts {
  return buildFacts(
    point,
    { clientId: 'cli_wallet0001SandboxA', trid: '90000000001', walletAccountId: 'wa_1', cardFingerprint: 'f'.repeat(64), tokenRef: 'tok_7Qm2vXk9LpR4sT8wZa1B' },
    {
      device: { id: 'dev_1', type: 'phone', os: 'android', score: 95, knownToAccount: true, location: { lat: 31.23, lon: 121.47, country: 'CN' } },
      network: { ip: '203.0.113.24', ipCountry: 'CN' },
      card: { issuerCountry: 'CN', product: 'debit' },
      walletAccount: { createdAt: '2024-01-01T00:00:00Z' },
      transaction: { amount: 1_299, currency: 'CNY', merchantCategoryCode: '5411', channel: 'nfc', merchantId: '898310048160001' },
      requestor: { walletRiskScore: 10, accountScore: 90 },
    },
    { velocity: new Map(), card: null, device: null },
    NOW,
  );
}

type Overlay = { [F in keyof RiskFacts]?: Partial<RiskFacts[F]> };

/** `base` with some fact members replaced. */
export function withFacts(base: RiskFacts, overlay: Overlay): RiskFacts {
  const facts = structuredClone(base);
  for (const [fact, values] of Object.entries(overlay)) {
    Object.assign((facts as unknown as Record<string, object>)[fact]!, values);
  }
  return facts;
}

/** The default rules as version-1 documents (what seeding publishes). */
export function defaultRuleDocuments(): RiskRuleDocument[] {
  return DEFAULT_RULES.map((rule, index) => ({
    ruleId: defaultRuleId(index, rule.reasonCode),
    version: 1,
    name: rule.name,
    description: rule.description,
    enabled: true,
    priority: rule.priority,
    appliesTo: [...rule.appliesTo],
    conditions: structuredClone(rule.conditions),
    outcome: rule.outcome,
    reasonCode: rule.reasonCode,
    createdAt: NOW.toISOString(),
    createdBy: 'cli_opentspDefaultRules',
  }));
}

export function defaultRuleSet(): CompiledRuleSet {
  return new CompiledRuleSet(1, defaultRuleDocuments());
}
