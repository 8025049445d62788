import fc from 'fast-check';
import { isLuhnValid, luhnCheckDigit } from '../src';

describe('Luhn', () => {
  it.each([
    ['79927398713', true], // the classic ISO/IEC 7812 example
    ['79927398710', false],
    ['4111111111111111', true],
    ['6212345678901232', true],
    ['6212345678901234', false],
    ['0', false],
    ['', false],
    ['4111-1111-1111-1111', false],
  ])('isLuhnValid(%p) is %p', (digits, want) => {
    expect(isLuhnValid(digits)).toBe(want);
  });

  it('appends a check digit that makes any number valid', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{1,18}$/), (partial) => isLuhnValid(partial + luhnCheckDigit(partial))),
    );
  });

  it('detects every single-digit error', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{12,18}$/), fc.nat(), fc.integer({ min: 1, max: 9 }), (partial, at, delta) => {
        const valid = partial + luhnCheckDigit(partial);
        const i = at % valid.length;
        const changed = valid.slice(0, i) + String((Number(valid[i]) + delta) % 10) + valid.slice(i + 1);
        return !isLuhnValid(changed);
      }),
    );
  });
});
