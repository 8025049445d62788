import fc from 'fast-check';
import { hkdfSha256, hmacSha256, timingSafeEqualStrings } from '../src';

describe('hmacSha256', () => {
  it('matches RFC 4231 test case 2', () => {
    const mac = hmacSha256(Buffer.from('Jefe'), 'what do ya want for nothing?');
    expect(mac.toString('hex')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('MACs the parts as if concatenated, strings as UTF-8', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1 }), fc.string(), fc.uint8Array(), (key, text, bytes) => {
        const k = Buffer.from(key);
        const whole = hmacSha256(k, Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from(bytes)]));
        expect(hmacSha256(k, text, Buffer.from(bytes))).toEqual(whole);
      }),
      { numRuns: 50 },
    );
  });
});

describe('hkdfSha256', () => {
  it('matches RFC 5869 test case 1', () => {
    const okm = hkdfSha256(
      Buffer.alloc(22, 0x0b),
      Buffer.from('000102030405060708090a0b0c', 'hex'),
      Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex'),
      42,
    );
    expect(okm.toString('hex')).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });
});

describe('timingSafeEqualStrings', () => {
  it.each([
    { a: '123456', b: '123456', want: true },
    { a: '123456', b: '123457', want: false },
    { a: '123456', b: '12345', want: false },
    { a: '', b: '', want: true },
    { a: '', b: 'a', want: false },
    { a: 'é', b: 'e\u0301', want: false },
  ])('"$a" vs "$b" → $want', ({ a, b, want }) => {
    expect(timingSafeEqualStrings(a, b)).toBe(want);
  });

  it('agrees with === on arbitrary strings', () => {
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => expect(timingSafeEqualStrings(a, b)).toBe(a === b)));
  });
});
