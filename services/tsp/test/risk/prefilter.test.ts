import fc from 'fast-check';
import type { RiskEvaluationPoint } from '../../src/risk/signals';
import { CompiledRuleSet } from '../../src/risk/rule-set';
import { cleanFacts, defaultRuleDocuments, withFacts } from './support/facts';

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });

describe('the rule prefilter', () => {
  const docs = defaultRuleDocuments();
  // Extra shapes the defaults lack: any / not / fact-to-fact comparisons / nested all.
  docs.push(
    { ...docs[0]!, ruleId: 'rule_testAnyShape0000001', reasonCode: 'any_shape', conditions: { any: [{ fact: 'device', path: '$.rooted', operator: 'equal', value: true }, { fact: 'device', path: '$.score', operator: 'lessThan', value: 30 }] } },
    { ...docs[0]!, ruleId: 'rule_testNotShape0000001', reasonCode: 'not_shape', conditions: { not: { fact: 'ip', path: '$.country', operator: 'in', value: ['CN', 'HK'] } } },
    { ...docs[0]!, ruleId: 'rule_testFactRef00000001', reasonCode: 'fact_ref', conditions: { all: [{ fact: 'ip', path: '$.country', operator: 'notEqual', value: { fact: 'card', path: '$.country' } }, { all: [{ fact: 'device', path: '$.known', operator: 'equal', value: false }] }] } },
  );
  const ruleSet = new CompiledRuleSet(1, docs);

  it('never changes which rules fire (random facts, with and without the prefilter)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<RiskEvaluationPoint>('provisioning', 'push_redemption', 'detokenization'),
        fc.record({
          score: maybe(fc.integer({ min: 0, max: 100 })),
          rooted: fc.boolean(),
          emulator: fc.boolean(),
          known: fc.boolean(),
          cards: fc.integer({ min: 0, max: 12 }),
          ipCountry: maybe(fc.constantFrom('CN', 'US', 'KP', 'HK')),
          match: maybe(fc.boolean()),
          velocity: fc.integer({ min: 0, max: 80 }),
          amount: maybe(fc.integer({ min: 0, max: 20_000_000 })),
          mcc: fc.constantFrom('5411', '7995', '6051', '6540'),
          otp: fc.integer({ min: 0, max: 8 }),
        }),
        async (point, r) => {
          const facts = withFacts(cleanFacts(point), {
            device: { score: r.score, rooted: r.rooted, emulator: r.emulator, known: r.known, cardsOnDevice: r.cards },
            ip: { country: r.ipCountry },
            location: { ipCountryMatchesCard: r.match },
            velocity: { provisioningPerDevice1h: r.velocity, detokenizationsPerToken1h: r.velocity, provisioningPerCard24h: r.velocity / 4 },
            transaction: { amount: r.amount, merchantCategoryCode: r.mcc },
            behaviour: { otpFailures24h: r.otp },
          });
          const withPrefilter = await ruleSet.evaluate(point, facts);
          const without = await ruleSet.evaluate(point, facts, { prefilter: false });
          expect(withPrefilter).toEqual(without);
        },
      ),
      { numRuns: 300 },
    );
  });
});
