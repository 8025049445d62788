import { isLuhnValid } from '@opentsp/card';
import { maskJson, maskPan, maskText } from '../../packages/console/src/mask';

/*
 * The console's one masking helper: every value it renders passes here, so a card number must
 * come out as its last four whatever field or text it hides in. Table-driven: given → want.
 */
describe('console masking', () => {
  const pan = '6212341000012343'; // Luhn-valid, sandbox card BIN
  const tokenPan = '6288120000001236';

  it('knows Luhn-valid numbers', () => {
    expect([isLuhnValid(pan), isLuhnValid(tokenPan), isLuhnValid('6212341000012345')]).toEqual([true, true, false]);
  });

  it.each([
    ['a bare card number', pan, '•••• 2343'],
    ['a grouped card number', '6212 3410 0001 2343', '•••• 2343'],
    ['a dashed token number in a sentence', `token 6288-1200-0000-1236 added`, 'token •••• 1236 added'],
    ['a 15-digit merchant id (not Luhn-valid) stays', '898310048160001', '898310048160001'],
    ['a short number stays', 'ATC 12345', 'ATC 12345'],
  ])('maskText: %s', (_name, given, want) => {
    expect(maskText(given)).toBe(want);
  });

  it('maskJson masks card fields, secrets and long opaque values, and leaves the rest', () => {
    const given = {
      tokenPan,
      tokenExpiry: { month: 11, year: 2029 },
      card: { pan, cvv2: '123', panLast4: '2343' },
      note: `caller read ${pan} aloud`,
      amountAsNumber: Number(pan),
      access_token: 'eyJhbGciOiJFUzI1NiJ9.payload.sig',
      encryptedCard: `eyJhbGciOiJBMjU2R0NNS1ciLCJlbmMiOiJBMjU2R0NNIn0.${'x'.repeat(300)}`,
      deepLink: 'opentspwallet://push?pushReceipt=Yq3vN8rT2xKp5LmW9zB4cD7fG1hJ6kQ0sV3uX8aE2iO&signedPayload=eyJ.eyJ.sig',
      merchantId: '898310048160001',
    };
    const want = {
      tokenPan: '•••• 1236',
      tokenExpiry: { month: 11, year: 2029 },
      card: { pan: '•••• 2343', cvv2: '•••', panLast4: '2343' },
      note: 'caller read •••• 2343 aloud',
      amountAsNumber: '•••• 2343',
      access_token: '[hidden]',
      encryptedCard: expect.stringMatching(/^JWE eyJhbGciOi… \(\d+ chars\)$/),
      deepLink: 'opentspwallet://push?pushReceipt=Yq3vN8… (43 chars)&signedPayload=eyJ.ey… (11 chars)',
      merchantId: '898310048160001',
    };
    expect(maskJson(given)).toEqual(want);
    expect(JSON.stringify(maskJson(given))).not.toMatch(new RegExp(`${pan}|${tokenPan}`));
    expect(maskPan('1235')).toBe('•••• 1235');
  });
});
