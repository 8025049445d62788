import { inspect } from 'node:util';
import { encryptCompact, KeySet } from '@opentsp/crypto';
import { decryptCardData, isExpired } from '../../src/domain/provisioning/card-data';
import { testPan } from '@opentsp/card';

const pan = (luhnValid = true) => testPan({ prefix: '621300123456789', luhnValid });
const YEAR = new Date().getUTCFullYear();

describe('decrypting and checking encryptedCard', () => {
  let keys: KeySet;
  beforeAll(async () => {
    keys = KeySet.create();
    await keys.generate('RSA-OAEP-256', { kid: 'rsa' });
    await keys.generate('ECDH-ES+A256KW', { kid: 'ec' });
  });
  const encrypt = (payload: object, kid = 'ec') => encryptCompact(payload, keys.get(kid), { alg: kid === 'ec' ? 'ECDH-ES+A256KW' : 'RSA-OAEP-256' });

  it.each(['ec', 'rsa'])('decrypts card data encrypted with the %s key, keeping the PAN and the CVV2 unprintable', async (kid) => {
    const card = await decryptCardData(await encrypt({ pan: pan(), expMonth: 12, expYear: YEAR + 1, cvv2: '987' }, kid), keys, { maxAgeSeconds: 600 });
    expect(card).toMatchObject({ expMonth: 12, expYear: YEAR + 1 });
    expect(card.pan.reveal()).toBe(pan());
    // The CVV2 is kept (for the issuer's check), but no serialisation or log line can show it.
    expect(card.cvv2?.reveal()).toBe('987');
    expect(JSON.stringify(card)).not.toContain(pan());
    expect(`${JSON.stringify(card)} ${String(card.cvv2)} ${inspect(card)}`).not.toContain('987');
  });

  it.each([
    ['an unknown field', { pan: pan(), expMonth: 1, expYear: YEAR + 1, track2: 'x' }],
    ['a short PAN', { pan: '621300123456', expMonth: 1, expYear: YEAR + 1 }],
    ['a bad month', { pan: pan(), expMonth: 13, expYear: YEAR + 1 }],
    ['a bad cvv2', { pan: pan(), expMonth: 1, expYear: YEAR + 1, cvv2: '12a' }],
  ])('answers jwe_invalid for plaintext with %s (no oracle on the shape)', async (_name, payload) => {
    await expect(decryptCardData(await encrypt(payload), keys, { maxAgeSeconds: 600 })).rejects.toMatchObject({ code: 'jwe_invalid' });
  });

  it('answers card_invalid_luhn and card_expired', async () => {
    const bad = pan(false);
    await expect(decryptCardData(await encrypt({ pan: bad, expMonth: 1, expYear: YEAR + 1 }), keys, { maxAgeSeconds: 600 })).rejects.toMatchObject({ code: 'card_invalid_luhn' });
    await expect(decryptCardData(await encrypt({ pan: pan(), expMonth: 1, expYear: YEAR - 1 }), keys, { maxAgeSeconds: 600 })).rejects.toMatchObject({ code: 'card_expired' });
  });

  it('considers a card valid through the end of its expiry month', () => {
    expect(isExpired(3, 2026, new Date('2026-03-31T23:59:59Z'))).toBe(false);
    expect(isExpired(3, 2026, new Date('2026-04-01T00:00:00Z'))).toBe(true);
  });
});
