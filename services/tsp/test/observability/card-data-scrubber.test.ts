import fc from 'fast-check';
import { luhnCheckDigit } from '@opentsp/card';
import { containsCardNumber, PAN_MASK, scrubCardNumbers } from '../../src/observability/card-data-scrubber';

describe('scrubCardNumbers', () => {
  it.each([
    ['{"pan":"6212345678901232"}', `{"pan":"${PAN_MASK}"}`],
    ['card 6212 3456 7890 1232 declined', `card ${PAN_MASK} declined`],
    ['card 6212-3456-7890-1232', `card ${PAN_MASK}`],
    ['/v1/tokens/4111111111111111?x=1', `/v1/tokens/${PAN_MASK}?x=1`],
  ])('masks the PAN in %p', (given, want) => {
    expect(scrubCardNumbers(given)).toBe(want);
  });

  it.each([
    ['timestamp 1732780800000 and pid 12345'],
    ['6212345678901234 fails Luhn so it is not a PAN'],
    ['"tokenLast4":"1232","atc":17'],
  ])('leaves non-card numbers alone: %p', (given) => {
    expect(scrubCardNumbers(given)).toBe(given);
  });

  it('masks every Luhn-valid 13-19 digit number embedded in text', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{12,18}$/), fc.string(), fc.string(), (partial, before, after) => {
        const pan = partial + luhnCheckDigit(partial);
        const line = `${before.replace(/[0-9]/g, '')} ${pan} ${after.replace(/[0-9]/g, '')}`;
        return !scrubCardNumbers(line).includes(pan);
      }),
    );
  });
});

describe('containsCardNumber', () => {
  it.each([
    ['{"note":"card 6212345678901232"}', true],
    ['{"merchantId":"898310048161119"}', false], // a 15-digit, Luhn-valid merchant id is not a PAN here
    ['{"tokenLast4":"1232"}', false],
  ])('%p → %p', (given, want) => {
    expect(containsCardNumber(given)).toBe(want);
  });
});
