import fc from 'fast-check';
import { isLuhnValid, testPan } from '../src';

describe('testPan', () => {
  it('gives Luhn-valid numbers of the asked prefix, suffix and length (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[0-9]{1,8}$/),
        fc.stringMatching(/^[0-9]{0,3}$/),
        fc.integer({ min: 13, max: 19 }),
        fc.option(fc.integer(), { nil: undefined }),
        (prefix, suffix, length, seed) => {
          const pan = testPan({ prefix, suffix, length, ...(seed !== undefined ? { seed } : {}) });
          return pan.length === length && pan.startsWith(prefix) && pan.slice(0, -1).endsWith(suffix) && isLuhnValid(pan);
        },
      ),
    );
  });

  it('fails Luhn once any one digit changes (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.nat(), fc.integer({ min: 1, max: 9 }), (seed, at, delta) => {
        const pan = testPan({ seed });
        const i = at % pan.length;
        return !isLuhnValid(pan.slice(0, i) + String((Number(pan[i]) + delta) % 10) + pan.slice(i + 1));
      }),
    );
  });

  it('gives a number failing Luhn when asked, otherwise the same digits', () => {
    const valid = testPan({ prefix: '621377', serial: 42 });
    const invalid = testPan({ prefix: '621377', serial: 42, luhnValid: false });
    expect(valid).toBe('6213770000000420');
    expect(isLuhnValid(invalid)).toBe(false);
    expect(invalid.slice(0, -1)).toBe(valid.slice(0, -1));
  });

  it('is reproducible from a serial or a seed, and random (CSPRNG) otherwise', () => {
    expect(testPan({ prefix: '621300', serial: 7, suffix: '234' })).toBe(testPan({ prefix: '621300', serial: 7, suffix: '234' }));
    expect(testPan({ seed: 99 })).toBe(testPan({ seed: 99 }));
    expect(testPan({ seed: 99 })).not.toBe(testPan({ seed: 100 }));
    const drawn = new Set(Array.from({ length: 50 }, () => testPan()));
    expect(drawn.size).toBe(50);
    for (const pan of drawn) expect(pan).toMatch(/^621234[0-9]{10}$/);
  });

  it('makes the sandbox test cards (fixed prefix and suffix, no free digits)', () => {
    expect(['234', '111', '000'].map((suffix) => testPan({ prefix: '621234100001', suffix }))).toEqual([
      '6212341000012343',
      '6212341000011113',
      expect.stringMatching(/^621234100001000[0-9]$/),
    ]);
  });

  it.each([
    [{ prefix: '6212345678901234' }, /no room/],
    [{ prefix: '62a' }, /digits/],
    [{ serial: 10 ** 10 }, /does not fit/],
    [{ serial: -1 }, /does not fit/],
    [{ length: 20 }, /2 to 19/],
  ])('refuses parts that do not fit: %p', (options, message) => {
    expect(() => testPan(options)).toThrow(message);
  });
});
