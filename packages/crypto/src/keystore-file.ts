import { randomBytes } from 'node:crypto';
import { JWE, JWK } from 'node-jose';
import { CryptoError } from './errors';
import { b64uEncode, decodeJsonObject, isPlainObject } from './encoding';

/**
 * PBKDF2 iterations for sealing. OWASP's Password Storage Cheat Sheet asks for 210,000
 * with HMAC-SHA-512, which is what PBES2-HS512+A256KW uses (RFC 7518 §4.8).
 */
export const SEAL_ITERATIONS = 210_000;

// Bounds for opening: a sealed file names its own p2c, so refuse counts that would make
// opening a denial of service or that no file written by sealJson can have.
const MIN_ITERATIONS = 1_000;
const MAX_ITERATIONS = 10_000_000;

export interface SealOptions {
  /**
   * PBKDF2 iterations (`p2c`), default {@link SEAL_ITERATIONS}. Lower only in tests: a
   * sealed keystore is as strong as its passphrase times this count.
   */
  iterations?: number;
}

/**
 * Seals a JSON value (the TSP's private key set) under a passphrase: a compact JWE with
 * `alg: PBES2-HS512+A256KW`, a random 16-byte salt (`p2s`), `p2c` ≥ 210,000, `enc: A256GCM`.
 * Takes about a quarter of a second by design.
 *
 * @example
 * ```ts
 * await writeFile('.data/keys.jwe', await sealJson(keys.toPrivateJson(), config.keystorePassphrase));
 * ```
 */
export async function sealJson(value: object, passphrase: string, options: SealOptions = {}): Promise<string> {
  const iterations = options.iterations ?? SEAL_ITERATIONS;
  if (!Number.isSafeInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
    throw new TypeError(`iterations must be between ${MIN_ITERATIONS} and ${MAX_ITERATIONS}`);
  }
  if (passphrase.length === 0) throw new TypeError('the passphrase must not be empty');
  const key = await passphraseKey(passphrase);
  const fields = { alg: 'PBES2-HS512+A256KW', enc: 'A256GCM', cty: 'json', p2c: iterations, p2s: b64uEncode(randomBytes(16)) };
  const encrypter = JWE.createEncrypt({ format: 'compact', contentAlg: 'A256GCM', fields }, key);
  return encrypter.update(Buffer.from(JSON.stringify(value), 'utf8')).final();
}

/**
 * Opens a value sealed with {@link sealJson}.
 *
 * @example
 * ```ts
 * const keys = await KeySet.fromJson(await openSealedJson(await readFile(path, 'utf8'), passphrase));
 * ```
 * @throws CryptoError `keystore_locked` for a wrong passphrase or a damaged file (one code:
 * which of the two it was is not knowable without the right passphrase anyway).
 */
export async function openSealedJson(jwe: string, passphrase: string): Promise<Record<string, unknown>> {
  const header = typeof jwe === 'string' ? decodeJsonObject(jwe.trim().split('.')[0] ?? '') : undefined;
  const p2c = header?.p2c;
  if (
    header?.alg !== 'PBES2-HS512+A256KW' ||
    header.enc !== 'A256GCM' ||
    header.zip !== undefined ||
    typeof p2c !== 'number' ||
    !Number.isSafeInteger(p2c) ||
    p2c < MIN_ITERATIONS ||
    p2c > MAX_ITERATIONS
  ) {
    throw locked();
  }
  try {
    const key = await passphraseKey(passphrase);
    const decrypter = JWE.createDecrypt(key, { algorithms: ['PBES2-HS512+A256KW', 'A256GCM'] });
    const { plaintext } = await decrypter.decrypt(jwe.trim());
    const value: unknown = JSON.parse(plaintext.toString('utf8'));
    if (!isPlainObject(value)) throw locked();
    return value;
  } catch {
    throw locked();
  }
}

function locked(): CryptoError {
  return new CryptoError('keystore_locked', 'the sealed keystore cannot be opened with this passphrase');
}

function passphraseKey(passphrase: string): Promise<JWK.Key> {
  // PBES2 takes the passphrase as the "key" (RFC 7518 §4.8.1.1), here as an oct JWK.
  return JWK.asKey({ kty: 'oct', k: b64uEncode(Buffer.from(passphrase, 'utf8')), alg: 'PBES2-HS512+A256KW', use: 'enc' });
}
