import { TspError } from '../../src/errors';
import { assertValidRule, type RiskRuleInput, type RuleFieldError } from '../../src/risk/rule-validation';

const valid: RiskRuleInput = {
  name: 'Rooted',
  enabled: true,
  priority: 100,
  appliesTo: ['provisioning'],
  conditions: { all: [{ fact: 'device', path: '$.rooted', operator: 'equal', value: true }] },
  outcome: 'step_up',
  reasonCode: 'device_rooted_custom',
};

function errorsOf(input: RiskRuleInput): RuleFieldError[] {
  try {
    assertValidRule(input);
  } catch (err) {
    expect(err).toBeInstanceOf(TspError);
    expect((err as TspError).code).toBe('rule_invalid');
    return (err as TspError).extensions.errors as RuleFieldError[];
  }
  throw new Error('expected rule_invalid');
}

const leaf = (overrides: Record<string, unknown>) => ({ ...valid, conditions: { all: [{ fact: 'device', path: '$.score', operator: 'lessThan', value: 30, ...overrides }] } });

describe('rule validation', () => {
  it('accepts a well-formed rule, fact references and nested any / not', () => {
    expect(() => assertValidRule(valid)).not.toThrow();
    expect(() =>
      assertValidRule({
        ...valid,
        conditions: {
          any: [
            { fact: 'ip', path: '$.country', operator: 'notEqual', value: { fact: 'card', path: '$.country' } },
            { not: { fact: 'signals', path: '$.extra.trusted', operator: 'equal', value: true } },
          ],
        },
      }),
    ).not.toThrow();
  });

  it.each<[string, RiskRuleInput, string, RegExp]>([
    ['an unknown fact', leaf({ fact: 'weather' }), '/body/conditions/all/0/fact', /unknown fact "weather"; known facts: device/],
    ['an unknown path', leaf({ path: '$.scor' }), '/body/conditions/all/0/path', /unknown path "\$\.scor" of fact device/],
    ['a JSONPath filter', leaf({ path: '$..score' }), '/body/conditions/all/0/path', /unknown path/],
    ['an unknown operator', leaf({ operator: 'regex' }), '/body/conditions/all/0/operator', /unknown operator "regex"; known: equal/],
    ['a string for a number', leaf({ value: '30' }), '/body/conditions/all/0/value', /lessThan needs a number value, got string/],
    ['a number operator on a boolean', leaf({ path: '$.rooted', value: 1 }), '/body/conditions/all/0/operator', /needs a number fact/],
    ['a wrong equal type', leaf({ path: '$.rooted', operator: 'equal', value: 'yes' }), '/body/conditions/all/0/value', /expected a boolean or null, got string/],
    ['in without an array', leaf({ path: '$.type', operator: 'in', value: 'phone' }), '/body/conditions/all/0/value', /needs a non-empty array/],
    ['in with a wrong item', leaf({ path: '$.type', operator: 'in', value: ['phone', 3] }), '/body/conditions/all/0/value/1', /expected a string, got number/],
    ['params', leaf({ params: { x: 1 } }), '/body/conditions/all/0/params', /unexpected member "params"/],
    ['a missing value', { ...valid, conditions: { all: [{ fact: 'device', path: '$.score', operator: 'lessThan' }] } }, '/body/conditions/all/0/value', /a value is required/],
    ['a bare leaf at the top', { ...valid, conditions: { fact: 'device', path: '$.rooted', operator: 'equal', value: true } }, '/body/conditions', /top level must be/],
    ['an empty all', { ...valid, conditions: { all: [] } }, '/body/conditions/all', /non-empty array/],
    ['a not with an array', { ...valid, conditions: { not: [] } }, '/body/conditions/not', /one condition, not an array/],
    ['a condition reference', { ...valid, conditions: { all: [{ condition: 'shared' }] } }, '/body/conditions/all/0/condition', /not supported/],
    ['step_up at detokenization', { ...valid, appliesTo: ['detokenization'] }, '/body/outcome', /step_up applies to provisioning only/],
  ])('refuses %s with rule_invalid saying where and what', (_name, input, path, message) => {
    const errors = errorsOf(input);
    expect(errors).toEqual(expect.arrayContaining([{ path, message: expect.stringMatching(message) }]));
  });

  it('reports every problem at once', () => {
    const errors = errorsOf({
      ...valid,
      conditions: { all: [{ fact: 'weather', path: '$.x', operator: 'equal', value: 1 }, { fact: 'device', path: '$.score', operator: 'like', value: 1 }] },
    });
    expect(errors.map((e) => e.path)).toEqual(['/body/conditions/all/0/fact', '/body/conditions/all/1/operator']);
  });
});
