import fc from 'fast-check';
import { canonicalCryptogramInput, computeCryptogram, verifyCryptogram, type CryptogramInput } from '../../src/domain/payments/cryptogram-mac';
import { isPastExpiry } from '../../src/domain/payments/token-checks';

const KEY = Buffer.alloc(32, 7);
const BASE: CryptogramInput = {
  tokenPan: '6288001234567890',
  atc: 17,
  amount: 12800,
  currency: 'CNY',
  merchantId: '898310048160001',
  channel: 'nfc',
  transactionType: 'purchase',
  unpredictableNumber: '9A3F01C7',
};

describe('cryptogram MAC', () => {
  it('is 20 bytes as 27 base64url characters and verifies only the same input', () => {
    const cryptogram = computeCryptogram(KEY, BASE);
    expect(cryptogram).toMatch(/^[A-Za-z0-9_-]{27}$/);
    expect(verifyCryptogram(KEY, BASE, cryptogram)).toBe(true);
    expect(verifyCryptogram(Buffer.alloc(32, 8), BASE, cryptogram)).toBe(false);
  });

  it.each([
    ['tokenPan', '6288001234567891'],
    ['atc', 18],
    ['amount', 12801],
    ['currency', 'USD'],
    ['merchantId', '898310048160002'],
    ['channel', 'ecom'],
    ['transactionType', 'refund'],
    ['unpredictableNumber', undefined],
  ] as const)('changes when %s changes', (field, value) => {
    expect(verifyCryptogram(KEY, { ...BASE, [field]: value }, computeCryptogram(KEY, BASE))).toBe(false);
  });

  it('encodes unambiguously: fields cannot shift into each other', () => {
    const text = fc.string({ maxLength: 6 });
    fc.assert(
      fc.property(text, text, text, text, (a, b, c, d) => {
        fc.pre(a !== c || b !== d);
        const one = canonicalCryptogramInput({ ...BASE, currency: a, merchantId: b });
        const two = canonicalCryptogramInput({ ...BASE, currency: c, merchantId: d });
        return one !== two;
      }),
    );
  });
});

describe('token expiry', () => {
  it('is valid through the last instant of the expiry month (UTC)', () => {
    expect(isPastExpiry(12, 2029, new Date('2029-12-31T23:59:59.999Z'))).toBe(false);
    expect(isPastExpiry(12, 2029, new Date('2030-01-01T00:00:00.000Z'))).toBe(true);
    expect(isPastExpiry(2, 2028, new Date('2028-02-29T12:00:00Z'))).toBe(false);
  });
});
