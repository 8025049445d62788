import fc from 'fast-check';
import { findCardNumbers, maskPan, maskPanLastFour, replaceCardNumbers, testPan } from '../src';

describe('the card-number pattern', () => {
  it.each([
    ['{"pan":"6212345678901232"}', ['6212345678901232']],
    ['card 6212 3456 7890 1232 declined', ['6212345678901232']],
    ['card 6212-3456-7890-1232', ['6212345678901232']],
    ['/v1/tokens/4111111111111111?x=1', ['4111111111111111']],
    ['two: 6212345678901232,4111111111111111', ['6212345678901232', '4111111111111111']],
    ['6212345678901234 fails Luhn', []],
    ['timestamp 1732780800000 and pid 12345', []],
    ['a 20-digit run 62123456789012320000 is no card number', []],
    ['6212  3456 7890 1232 (a double space splits it)', []],
  ])('findCardNumbers(%p)', (text, want) => {
    expect(findCardNumbers(text)).toEqual(want);
  });

  it('counts 16-19 digit numbers only when asked (a 15-digit merchant id passes Luhn one time in ten)', () => {
    expect(findCardNumbers('merchant 898310048161119')).toEqual(['898310048161119']);
    expect(findCardNumbers('merchant 898310048161119', { minDigits: 16 })).toEqual([]);
  });

  it('finds every Luhn-valid 13-19 digit number however it is grouped (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 13, max: 19 }), fc.integer(), fc.constantFrom('', ' ', '-'), fc.string(), (length, seed, separator, around) => {
        const pan = testPan({ prefix: '62', length, seed });
        const grouped = pan.match(/.{1,4}/g)!.join(separator);
        const noise = around.replace(/[0-9]/g, '');
        const text = `${noise} ${grouped} ${noise}`;
        return findCardNumbers(text).includes(pan) && !replaceCardNumbers(text, () => '#').includes(grouped);
      }),
    );
  });

  it('replaces card numbers only, with what the caller makes of the digits', () => {
    expect(replaceCardNumbers('card 6212 3456 7890 1232, ATC 12345', maskPanLastFour)).toBe('card •••• 1232, ATC 12345');
  });
});

describe('masking', () => {
  it.each([
    ['6212345678901232', '621234******1232'],
    ['6212345678901232123', '621234*********2123'],
    ['621234567890', '621234**7890'],
    ['62123456', '****3456'],
  ])('maskPan(%p) is %p', (digits, want) => {
    expect(maskPan(digits)).toBe(want);
  });

  it.each([
    ['6212345678901232', '•••• 1232'],
    ['6212 3456 7890 1232', '•••• 1232'],
    ['1232', '•••• 1232'],
  ])('maskPanLastFour(%p) is %p', (digits, want) => {
    expect(maskPanLastFour(digits)).toBe(want);
  });
});
