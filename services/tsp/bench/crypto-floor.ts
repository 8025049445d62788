import { createCipheriv, randomBytes } from 'node:crypto';
import { encryptCompact, generateOctKey, hkdfSha256, hmacSha256, type Jwk } from '@opentsp/crypto';
import { SANDBOX_ISSUER_CARD_KEY } from '../src/domain/identity/sandbox-bootstrap';

export interface CryptoFloorResult {
  name: string;
  opsPerSecond: number;
}

async function measure(name: string, seconds: number, op: () => unknown | Promise<unknown>): Promise<CryptoFloorResult> {
  const deadline = Date.now() + seconds * 1000;
  let ops = 0;
  while (Date.now() < deadline) {
    for (let i = 0; i < 100; i++) await op();
    ops += 100;
  }
  return { name, opsPerSecond: Math.round(ops / seconds) };
}

/**
 * The crypto steps of one detokenization, alone, on one core: the per-token cryptogram MAC
 * (HKDF + HMAC), the PAN decryption (AES-256-GCM) and the response JWE (A256GCMKW). Their sum
 * is the part of the hot path that no database or HTTP tuning can remove. Plus provisioning's
 * one added step: the JWE of the card data (CVV2 included) to the issuer's `enc` key.
 */
export async function measureCryptoFloor(seconds: number): Promise<CryptoFloorResult[]> {
  const master = randomBytes(32);
  const dek = randomBytes(32);
  const iv = randomBytes(12);
  const clientKey = generateOctKey();
  const plaintext = JSON.stringify({ pan: '6212345678901232', expMonth: 12, expYear: 2030 });
  const cardForIssuer = JSON.stringify({ pan: '6212345678901232', expMonth: 12, expYear: 2030, cvv2: '123' });
  return [
    await measure('cryptogram MAC (HKDF + HMAC-SHA256)', seconds, () => {
      const key = hkdfSha256(master, Buffer.from('tok_abcdefghijklmnop'), Buffer.from('opentsp/cryptogram/v1'), 32);
      hmacSha256(key, '6299001234567890|17|1000|CNY|M1|nfc');
    }),
    await measure('PAN decrypt (AES-256-GCM)', seconds, () => {
      const cipher = createCipheriv('aes-256-gcm', dek, iv);
      cipher.update(plaintext);
      cipher.final();
      cipher.getAuthTag();
    }),
    await measure('response JWE (A256GCMKW + A256GCM)', seconds, () =>
      encryptCompact(plaintext, clientKey, { alg: 'A256GCMKW' }),
    ),
    // Provisioning, not detokenize: the card data (with CVV2) to the issuer's RSA-OAEP-256 key.
    await measure('card JWE to the issuer (RSA-OAEP-256 + A256GCM)', seconds, () =>
      encryptCompact(cardForIssuer, SANDBOX_ISSUER_CARD_KEY as unknown as Jwk, { alg: 'RSA-OAEP-256' }),
    ),
  ];
}
