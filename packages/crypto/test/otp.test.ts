import { generateOtpSecret, hotp, totp, verifyHotp } from '../src';
import { atTime, codeOf } from './helpers';

// RFC 4226 Appendix D and RFC 6238 Appendix B use the ASCII secret "12345678901234567890".
const RFC_SECRET = new Uint8Array(Buffer.from('12345678901234567890', 'ascii'));
const RFC_SECRET_BASE32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('HOTP (RFC 4226 Appendix D)', () => {
  const vectors = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];

  it.each(vectors.map((want, counter) => ({ counter, want })))('counter $counter → $want', ({ counter, want }) => {
    expect(hotp(RFC_SECRET, counter)).toBe(want);
    expect(hotp(RFC_SECRET_BASE32, counter)).toBe(want);
    expect(verifyHotp(want, RFC_SECRET, counter)).toBe(true);
  });

  it.each([
    { given: 'the code of the next counter', code: '287082', counter: 0 },
    { given: 'a code one digit off', code: '755225', counter: 0 },
    { given: 'a shorter code', code: '75522', counter: 0 },
    { given: 'a longer code', code: '7552240', counter: 0 },
    { given: 'an empty code', code: '', counter: 0 },
    { given: 'non-digits', code: '75522a', counter: 0 },
  ])('verifyHotp rejects $given', ({ code, counter }) => {
    expect(verifyHotp(code, RFC_SECRET, counter)).toBe(false);
  });
});

describe('TOTP (RFC 6238 Appendix B, SHA-1, 8 digits)', () => {
  it.each([
    { epochSeconds: 59, want: '94287082' },
    { epochSeconds: 1111111109, want: '07081804' },
    { epochSeconds: 1111111111, want: '14050471' },
    { epochSeconds: 1234567890, want: '89005924' },
    { epochSeconds: 2000000000, want: '69279037' },
    { epochSeconds: 20000000000, want: '65353130' },
  ])('T = $epochSeconds → $want', ({ epochSeconds, want }) => {
    expect(totp(RFC_SECRET, { epochSeconds, digits: 8, step: 30 })).toBe(want);
  });

  it('defaults to now, 30-second steps and 6 digits: HOTP over floor(now / 30)', async () => {
    await atTime(1_700_000_015, () => expect(totp(RFC_SECRET)).toBe(hotp(RFC_SECRET, Math.floor(1_700_000_015 / 30))));
  });
});

describe('generateOtpSecret', () => {
  it('makes distinct base32 secrets of at least 160 bits', () => {
    const secrets = new Set(Array.from({ length: 20 }, generateOtpSecret));
    expect(secrets.size).toBe(20);
    for (const secret of secrets) {
      expect(secret).toMatch(/^[A-Z2-7]+$/);
      expect(secret.length * 5).toBeGreaterThanOrEqual(160);
      expect(hotp(secret, 0)).toMatch(/^\d{6}$/);
    }
  });

  it('reports a secret otplib refuses (too short, not base32) as key_invalid', async () => {
    expect(await codeOf(() => hotp('JBSWY3DPEHPK3PXP', 0))).toBe('key_invalid'); // 80 bits
    expect(await codeOf(() => hotp('not base32!', 0))).toBe('key_invalid');
    expect(() => hotp(RFC_SECRET, 0, 9 as never)).toThrow(TypeError);
  });
});
