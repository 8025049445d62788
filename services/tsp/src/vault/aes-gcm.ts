import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { VaultError } from './vault-error';

/**
 * AES-256-GCM (NIST SP 800-38D) with a random 96-bit IV, laid out as `iv ‖ ciphertext ‖ tag`.
 * Random IVs are safe while one key encrypts far fewer than 2^32 messages (SP 800-38D §8.3);
 * the vault bounds every data key to a handful of records, and KEKs wrap one DEK per call.
 */
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Encrypts `plaintext` under a 32-byte `key`, authenticating `aad` too. */
export function aesGcmSeal(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

/** Decrypts what {@link aesGcmSeal} produced; any failure is the one generic `VaultError`. */
export function aesGcmOpen(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (key.length !== 32 || sealed.length < IV_BYTES + TAG_BYTES) throw new VaultError();
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new VaultError();
  }
}
