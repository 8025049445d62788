import { DEFAULT_RULES } from '../../src/risk/default-rules';
import { assertValidRule } from '../../src/risk/rule-validation';
import type { RiskEvaluationPoint, RiskFacts } from '../../src/risk/signals';
import { cleanFacts, defaultRuleSet, withFacts } from './support/facts';

type Overlay = Parameters<typeof withFacts>[1];
interface Case {
  point: RiskEvaluationPoint;
  fires: Overlay;
  /** A near miss: the closest input that must not fire the rule. */
  not: Overlay;
}

const P: RiskEvaluationPoint = 'provisioning';
const PUSH: RiskEvaluationPoint = 'push_redemption';
const D: RiskEvaluationPoint = 'detokenization';
const v = (velocity: Partial<RiskFacts['velocity']>): Overlay => ({ velocity });

/** One firing and one near-miss case per default rule, by reason code. */
const CASES: Record<string, Case> = {
  device_emulator: { point: P, fires: { device: { emulator: true } }, not: { device: { emulator: false, rooted: true } } },
  device_rooted: { point: P, fires: { device: { rooted: true } }, not: { device: { rooted: false } } },
  device_rooted_push: { point: PUSH, fires: { device: { rooted: true } }, not: { device: { emulator: true } } },
  device_score_very_low: { point: P, fires: { device: { score: 19 } }, not: { device: { score: 20 } } },
  device_score_low: { point: P, fires: { device: { score: 49 } }, not: { device: { score: 50 } } },
  device_score_missing: { point: P, fires: { device: { score: null } }, not: { device: { score: 0 } } },
  new_device_low_score: { point: P, fires: { device: { known: false, score: 69 } }, not: { device: { known: false, score: 70 } } },
  device_new_to_account: { point: P, fires: { device: { known: false } }, not: { device: { known: true } } },
  device_many_cards: { point: P, fires: { device: { cardsOnDevice: 8 } }, not: { device: { cardsOnDevice: 7 } } },
  device_several_cards: { point: P, fires: { device: { cardsOnDevice: 5 } }, not: { device: { cardsOnDevice: 4 } } },
  device_shared_accounts: { point: PUSH, fires: { device: { accountsOnDevice: 3 } }, not: { device: { accountsOnDevice: 2 } } },
  device_type_unusual: { point: P, fires: { device: { type: 'browser' } }, not: { device: { type: 'tablet' } } },
  ip_country_mismatch: { point: P, fires: { location: { ipCountryMatchesCard: false } }, not: { location: { ipCountryMatchesCard: null } } },
  device_country_mismatch: { point: PUSH, fires: { location: { deviceCountryMatchesCard: false } }, not: { location: { deviceCountryMatchesCard: true } } },
  ip_device_country_mismatch: { point: P, fires: { location: { deviceCountryMatchesIp: false } }, not: { location: { deviceCountryMatchesIp: null } } },
  impossible_travel: {
    point: P,
    fires: { location: { distanceKmFromLastUse: 1200, hoursSinceLastUse: 1, speedKmhFromLastUse: 1200 } },
    not: { location: { distanceKmFromLastUse: 1200, hoursSinceLastUse: 2, speedKmhFromLastUse: 600 } },
  },
  impossible_travel_detok: {
    point: D,
    fires: { location: { distanceKmFromLastUse: 8000, hoursSinceLastUse: 0.5, speedKmhFromLastUse: 16000 } },
    not: { location: { distanceKmFromLastUse: 400, hoursSinceLastUse: 0.1, speedKmhFromLastUse: 4000 } },
  },
  far_from_last_use: {
    point: P,
    fires: { location: { distanceKmFromLastUse: 2500, hoursSinceLastUse: 10, speedKmhFromLastUse: 250 } },
    not: { location: { distanceKmFromLastUse: 2500, hoursSinceLastUse: 30, speedKmhFromLastUse: 83 } },
  },
  ip_missing: { point: P, fires: { ip: { address: null } }, not: { ip: { address: '198.51.100.7' } } },
  ip_private: { point: PUSH, fires: { ip: { private: true } }, not: { ip: { private: false } } },
  sanctioned_country_ip: { point: D, fires: { ip: { country: 'KP' } }, not: { ip: { country: 'KR' } } },
  sanctioned_country_device: { point: P, fires: { location: { country: 'IR' } }, not: { location: { country: 'IE' } } },
  velocity_device_1h_step_up: { point: P, fires: v({ provisioningPerDevice1h: 4 }), not: v({ provisioningPerDevice1h: 3 }) },
  velocity_device_1h: { point: P, fires: v({ provisioningPerDevice1h: 7 }), not: v({ provisioningPerDevice1h: 6 }) },
  velocity_device_foreign_ip: {
    point: P,
    fires: { velocity: { provisioningPerDevice1h: 6 }, location: { ipCountryMatchesCard: false } },
    not: { velocity: { provisioningPerDevice1h: 6 }, location: { ipCountryMatchesCard: true } },
  },
  velocity_device_24h: { point: P, fires: v({ provisioningPerDevice24h: 11 }), not: v({ provisioningPerDevice24h: 10 }) },
  velocity_card_1h: { point: P, fires: v({ provisioningPerCard1h: 4 }), not: v({ provisioningPerCard1h: 3 }) },
  velocity_card_24h: { point: P, fires: v({ provisioningPerCard24h: 7 }), not: v({ provisioningPerCard24h: 6 }) },
  velocity_account_1h: { point: P, fires: v({ provisioningPerWalletAccount1h: 6 }), not: v({ provisioningPerWalletAccount1h: 5 }) },
  velocity_account_24h: { point: P, fires: v({ provisioningPerWalletAccount24h: 11 }), not: v({ provisioningPerWalletAccount24h: 10 }) },
  velocity_ip_1h: { point: P, fires: v({ provisioningPerIp1h: 11 }), not: v({ provisioningPerIp1h: 10 }) },
  velocity_ip_24h: { point: P, fires: v({ provisioningPerIp24h: 31 }), not: v({ provisioningPerIp24h: 30 }) },
  velocity_push_account_24h: { point: PUSH, fires: v({ pushRedemptionsPerWalletAccount24h: 11 }), not: v({ pushRedemptionsPerWalletAccount24h: 10 }) },
  velocity_detok_token_1h_flag: { point: D, fires: v({ detokenizationsPerToken1h: 31 }), not: v({ detokenizationsPerToken1h: 30 }) },
  velocity_detok_token_1h: { point: D, fires: v({ detokenizationsPerToken1h: 61 }), not: v({ detokenizationsPerToken1h: 60 }) },
  velocity_detok_token_24h: { point: D, fires: v({ detokenizationsPerToken24h: 501 }), not: v({ detokenizationsPerToken24h: 500 }) },
  requestor_attempts_24h: { point: P, fires: { signals: { provisioningAttemptsLast24h: 21 } }, not: { signals: { provisioningAttemptsLast24h: 20 } } },
  otp_failures_account: { point: P, fires: { behaviour: { otpFailures24h: 3 } }, not: { behaviour: { otpFailures24h: 5 } } },
  otp_failures_account_excessive: { point: P, fires: { behaviour: { otpFailures24h: 5 } }, not: { behaviour: { otpFailures24h: 4 } } },
  otp_failures_card: { point: P, fires: { behaviour: { otpFailuresPerCard24h: 5 } }, not: { behaviour: { otpFailuresPerCard24h: 4 } } },
  card_verification_failures_card: { point: P, fires: { behaviour: { cardVerificationFailuresPerCard24h: 3 } }, not: { behaviour: { cardVerificationFailuresPerCard24h: 2 } } },
  card_verification_failures_account: { point: P, fires: { behaviour: { cardVerificationFailures24h: 3 } }, not: { behaviour: { cardVerificationFailures24h: 2 } } },
  new_account: { point: P, fires: { behaviour: { accountAgeDays: 0.5 } }, not: { behaviour: { accountAgeDays: 1 } } },
  young_account: { point: P, fires: { behaviour: { accountAgeDays: 6.9 } }, not: { behaviour: { accountAgeDays: 7 } } },
  card_recently_suspended: { point: PUSH, fires: { behaviour: { hoursSinceCardSuspended: 23 } }, not: { behaviour: { hoursSinceCardSuspended: 24 } } },
  card_suspended_this_week: { point: P, fires: { behaviour: { hoursSinceCardSuspended: 24 } }, not: { behaviour: { hoursSinceCardSuspended: 168 } } },
  wallet_risk_high: { point: P, fires: { signals: { walletRiskScore: 90 } }, not: { signals: { walletRiskScore: 89 } } },
  wallet_risk_elevated: { point: P, fires: { signals: { walletRiskScore: 70 } }, not: { signals: { walletRiskScore: 69 } } },
  account_score_low: { point: P, fires: { signals: { accountScore: 19 } }, not: { signals: { accountScore: null } } },
  amount_very_high: { point: D, fires: { transaction: { amount: 10_000_001 } }, not: { transaction: { amount: 10_000_000 } } },
  amount_high: { point: D, fires: { transaction: { amount: 500_001 } }, not: { transaction: { amount: 500_000 } } },
  high_risk_mcc: { point: D, fires: { transaction: { merchantCategoryCode: '6051' } }, not: { transaction: { merchantCategoryCode: '5411' } } },
  gambling_high_amount: {
    point: D,
    fires: { transaction: { merchantCategoryCode: '7995', amount: 100_001 } },
    not: { transaction: { merchantCategoryCode: '7995', amount: 100_000 } },
  },
  quasi_cash_velocity: {
    point: D,
    fires: { transaction: { merchantCategoryCode: '6540' }, velocity: { detokenizationsPerToken1h: 6 } },
    not: { transaction: { merchantCategoryCode: '6540' }, velocity: { detokenizationsPerToken1h: 5 } },
  },
  ecom_foreign_ip: {
    point: D,
    fires: { transaction: { channel: 'ecom' }, location: { ipCountryMatchesCard: false } },
    not: { transaction: { channel: 'nfc' }, location: { ipCountryMatchesCard: false } },
  },
  cof_amount_high: {
    point: D,
    fires: { transaction: { channel: 'cof', amount: 2_000_001 } },
    not: { transaction: { channel: 'ecom', amount: 2_000_001 } },
  },
  amount_missing: { point: D, fires: { transaction: { amount: null } }, not: { transaction: { amount: 0 } } },
};

describe('the default rule set', () => {
  const ruleSet = defaultRuleSet();

  it('has at least 40 rules covering every signal family, each with a test case', () => {
    expect(DEFAULT_RULES.length).toBeGreaterThanOrEqual(40);
    expect(Object.keys(CASES).sort()).toEqual(DEFAULT_RULES.map((r) => r.reasonCode).sort());
    const facts = new Set(DEFAULT_RULES.flatMap((r) => JSON.stringify(r.conditions).match(/"fact":"(\w+)"/g) ?? []));
    for (const family of ['device', 'location', 'ip', 'velocity', 'behaviour', 'transaction', 'signals']) {
      expect(facts).toContain(`"fact":"${family}"`);
    }
  });

  it.each(DEFAULT_RULES.map((r) => [r.reasonCode, r] as const))('%s is a valid rule', (_code, rule) => {
    expect(() => assertValidRule({ ...rule, enabled: true })).not.toThrow();
  });

  it('approves clean requests at every evaluation point', async () => {
    for (const point of ['provisioning', 'push_redemption', 'detokenization'] as const) {
      expect(await ruleSet.evaluate(point, cleanFacts(point))).toEqual([]);
    }
  });

  describe.each(Object.entries(CASES))('%s', (reasonCode, testCase) => {
    const rule = DEFAULT_RULES.find((r) => r.reasonCode === reasonCode)!;

    it(`fires (${rule.outcome})`, async () => {
      const fired = await ruleSet.evaluate(testCase.point, withFacts(cleanFacts(testCase.point), testCase.fires));
      expect(fired.map((f) => f.reasonCode)).toContain(reasonCode);
      expect(fired.find((f) => f.reasonCode === reasonCode)?.outcome).toBe(rule.outcome);
    });

    it('does not fire on the near miss', async () => {
      const fired = await ruleSet.evaluate(testCase.point, withFacts(cleanFacts(testCase.point), testCase.not));
      expect(fired.map((f) => f.reasonCode)).not.toContain(reasonCode);
    });
  });
});
