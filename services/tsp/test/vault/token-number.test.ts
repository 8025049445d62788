import fc from 'fast-check';
import { isLuhnValid } from '@opentsp/card';
import {
  checkTokenRange,
  inCardRange,
  inTokenRange,
  isUsableTokenNumber,
  randomTokenNumber,
  tokenRangeCapacity,
  type CardRange,
  type TokenRange,
} from '../../src/vault/token-number';

const tokenRange = fc
  .record({ tokenLength: fc.integer({ min: 16, max: 19 }), extra: fc.stringMatching(/^[0-9]{0,6}$/) })
  .map(({ tokenLength, extra }): TokenRange => ({ prefix: `62${extra}`, tokenLength }));

describe('token numbers (pure)', () => {
  it.each([
    // given, want
    [{ number: '6212345678901232', range: { prefix: '621234', panLength: 16 } }, true],
    [{ number: '6212345678901232', range: { prefix: '621234', panLength: 19 } }, false],
    [{ number: '6212345678901232', range: { prefix: '621234' } }, true],
    [{ number: '6212345678901232', range: { prefix: '621235', panLength: 16 } }, false],
    [{ number: '6288000000000006', range: { prefix: '62', panLength: 16 } }, true],
  ])('card BIN range membership %p → %p', ({ number, range }, want) => {
    expect(inCardRange(number, range as CardRange)).toBe(want);
  });

  it.each([
    [{ prefix: '6288', tokenLength: 15 }],
    [{ prefix: '6288', tokenLength: 20 }],
    [{ prefix: '62a8', tokenLength: 16 }],
    [{ prefix: '', tokenLength: 16 }],
    [{ prefix: '628812345678901', tokenLength: 16 }],
  ])('rejects the malformed token range %p', (range) => {
    expect(() => checkTokenRange(range)).toThrow(RangeError);
  });

  it('draws Luhn-valid numbers of the range length, inside the range (property)', () => {
    fc.assert(
      fc.property(tokenRange, (range) => {
        const number = randomTokenNumber(range);
        return number.length === range.tokenLength && inTokenRange(number, range) && isLuhnValid(number) && /^62/.test(number);
      }),
      { numRuns: 500 },
    );
  });

  it('never calls a number usable when it lies in a card BIN range (property)', () => {
    fc.assert(
      fc.property(tokenRange, fc.array(fc.stringMatching(/^62[0-9]{0,6}$/), { maxLength: 5 }), (range, prefixes) => {
        const cards = prefixes.map((prefix) => ({ prefix, panLength: range.tokenLength }));
        const number = randomTokenNumber(range);
        return isUsableTokenNumber(number, cards) === !cards.some((c) => number.startsWith(c.prefix));
      }),
      { numRuns: 500 },
    );
  });

  it('is random: 1,000 draws from a 16-digit range are all different and spread over every digit', () => {
    const numbers = new Set(Array.from({ length: 1000 }, () => randomTokenNumber({ prefix: '6288', tokenLength: 16 })));
    expect(numbers.size).toBe(1000);
    const fifthDigits = new Set([...numbers].map((n) => n[4]));
    expect(fifthDigits.size).toBe(10);
  });

  it.each([
    // given: token range, card ranges → capacity
    [{ prefix: '62881234567890', tokenLength: 16 }, [], 10],
    [{ prefix: '6288123456789', tokenLength: 16 }, [], 100],
    [{ prefix: '6288123456789', tokenLength: 16 }, [{ prefix: '62881234567895', panLength: 16 }], 90],
    [{ prefix: '6288123456789', tokenLength: 16 }, [{ prefix: '62881234567895', panLength: 19 }], 100],
    [{ prefix: '6288123456789', tokenLength: 16 }, [{ prefix: '6288', panLength: 16 }], 0],
    [{ prefix: '6288123456789', tokenLength: 16 }, [{ prefix: '62881234567895' }, { prefix: '628812345678955' }], 90],
  ])('capacity of %p with card ranges %p is %p', (range, cards, want) => {
    expect(tokenRangeCapacity(range, cards as CardRange[])).toBe(want);
  });
});
