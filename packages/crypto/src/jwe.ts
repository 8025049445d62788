import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { jweInvalid, CryptoError } from './errors';
import { MAX_FUTURE_SKEW_SECONDS, b64uDecode, b64uEncode, decodeJsonObject, nowSeconds, payloadBytes } from './encoding';
import { Key, privateKeyObjectOf, publicKeyFromJwk, publicKeyObjectOf, secretOf, type Jwk } from './key';
import type { KeySet } from './jwk';
import {
  JWE_ALGORITHMS,
  KTY_FOR,
  unwrapCek,
  wrapCek,
  type JweAlgorithm,
  type UnwrappingKey,
  type WrappingKey,
} from './jwe-key-management';

/*
 * Compact JWE (RFC 7516 §7.1) with A256GCM content encryption only.
 *
 * Throughput with this node:crypto implementation (same box as the node-jose numbers in
 * jwe-key-management.ts: Xeon 2.8 GHz, Node 20, one core, test/bench/jose-throughput.ts):
 *   RSA-OAEP-256   encrypt 20,966/s   decrypt 2,909/s   (node-jose:   1,051 /    786)
 *   ECDH-ES+A256KW encrypt  3,715/s   decrypt 3,687/s   (node-jose:      79 /  1,482)
 *   A256GCMKW      encrypt 31,577/s   decrypt 48,058/s  (node-jose:   1,643 / 11,961)
 * RSA decryption is bound by the 2048-bit private-key operation itself (OpenSSL ≈ 3,100/s);
 * A256GCMKW encryption, the detokenize hot path, costs ≈ 32 µs per call.
 */

export type { JweAlgorithm } from './jwe-key-management';

/** The protected header of a JWE this package produced or accepted. */
export interface JweHeader {
  alg: JweAlgorithm;
  enc: 'A256GCM';
  kid: string;
  /** Seconds since the epoch when the JWE was made. */
  iat: number;
  [member: string]: unknown;
}

export interface EncryptOptions {
  alg: JweAlgorithm;
  enc?: 'A256GCM';
  /** More protected header members (e.g. `cty`, `apu`); `alg`, `enc`, `kid`, `iat`, `zip`, `crit` are refused. */
  extraHeaders?: Record<string, unknown>;
}

export interface DecryptOptions {
  /** The algorithms the caller expects here, e.g. `['RSA-OAEP-256', 'ECDH-ES+A256KW']` for card data. */
  algorithms: readonly JweAlgorithm[];
  /** Reject a JWE whose `iat` is older than this. */
  maxAgeSeconds?: number;
}

export interface DecryptResult {
  plaintext: Buffer;
  header: JweHeader;
}

const RESERVED = new Set(['alg', 'enc', 'kid', 'iat', 'zip', 'crit', 'epk', 'iv', 'tag']);

/**
 * Encrypts to one recipient as a compact JWE with A256GCM. The protected header carries
 * `alg`, `enc`, `kid` and `iat` (seconds) plus any `extraHeaders`.
 *
 * @param recipient a {@link Key} from a KeySet, or a JWK object: a public RSA / P-256 key, or
 * the `oct` key issued with {@link generateOctKey}. It must have a `kid`.
 * @example
 * ```ts
 * const encryptedCard = await encryptCompact({ pan, expMonth, expYear }, tspJwks.keys[1], { alg: 'ECDH-ES+A256KW' });
 * const forAcquirer = await encryptCompact(card, acquirerOctJwk, { alg: 'A256GCMKW' });
 * ```
 * @throws CryptoError `key_invalid` (no kid, malformed JWK, key not for encryption),
 * `unsupported_algorithm` (alg unknown or not the key's `alg`).
 */
export async function encryptCompact(
  plaintext: string | Uint8Array | object,
  recipient: Key | Jwk,
  options: EncryptOptions,
): Promise<string> {
  const { alg } = options;
  if (!JWE_ALGORITHMS.includes(alg) || (options.enc ?? 'A256GCM') !== 'A256GCM') {
    throw new CryptoError('unsupported_algorithm', `unsupported JWE algorithm ${String(alg)}/${String(options.enc)}`);
  }
  for (const name of Object.keys(options.extraHeaders ?? {})) {
    if (RESERVED.has(name)) throw new TypeError(`extraHeaders may not set "${name}"`);
  }
  const { kid, wrappingKey } = resolveRecipient(recipient, alg);

  const random = randomBytes(44);
  const cek = random.subarray(0, 32);
  const iv = random.subarray(32);
  const wrapped = wrapCek(alg, wrappingKey, cek, options.extraHeaders ?? {});
  const header = { ...options.extraHeaders, alg, enc: 'A256GCM', kid, iat: nowSeconds(), ...wrapped.header };
  const protectedHeader = b64uEncode(JSON.stringify(header));

  // RFC 7516 §5.1 step 14: the AAD is the ASCII of the encoded protected header.
  const cipher = createCipheriv('aes-256-gcm', cek, iv);
  cipher.setAAD(Buffer.from(protectedHeader, 'ascii'));
  const ciphertext = Buffer.concat([cipher.update(payloadBytes(plaintext)), cipher.final()]);
  return [
    protectedHeader,
    b64uEncode(wrapped.encryptedKey),
    b64uEncode(iv),
    b64uEncode(ciphertext),
    b64uEncode(cipher.getAuthTag()),
  ].join('.');
}

/**
 * Decrypts a compact JWE with a key of the set, chosen by the header's `kid`.
 *
 * Refuses, all with the same `CryptoError('jwe_invalid')` (no oracle, RFC 7516 §11.4-11.5):
 * an `alg` outside `options.algorithms` or not the key's own `alg`, an `enc` other than
 * A256GCM, `zip` or `crit`, an unknown `kid`, a missing `iat`, an `iat` more than 5 minutes
 * ahead or older than `maxAgeSeconds`, and any cryptographic or format failure.
 *
 * @example
 * ```ts
 * const { plaintext, header } = await decryptCompact(body.encryptedCard, tspKeys, {
 *   algorithms: ['RSA-OAEP-256', 'ECDH-ES+A256KW'],
 *   maxAgeSeconds: 600,
 * });
 * ```
 */
export async function decryptCompact(jwe: string, keySet: KeySet, options: DecryptOptions): Promise<DecryptResult> {
  const result = tryDecrypt(jwe, keySet, options);
  if (!result) throw jweInvalid();
  return result;
}

/**
 * {@link decryptCompact}, then `JSON.parse` of the plaintext. The type parameter is not
 * checked: validate the value's shape before using it.
 *
 * @example
 * ```ts
 * const { value: card } = await decryptJson<CardData>(body.encryptedCard, tspKeys, { algorithms: ['RSA-OAEP-256'] });
 * ```
 */
export async function decryptJson<T = unknown>(
  jwe: string,
  keySet: KeySet,
  options: DecryptOptions,
): Promise<{ value: T; header: JweHeader }> {
  const { plaintext, header } = await decryptCompact(jwe, keySet, options);
  try {
    return { value: JSON.parse(plaintext.toString('utf8')) as T, header };
  } catch {
    throw jweInvalid();
  }
}

function resolveRecipient(recipient: Key | Jwk, alg: JweAlgorithm): { kid: string; wrappingKey: WrappingKey } {
  const kty = KTY_FOR[alg];
  if (recipient instanceof Key) {
    if (recipient.alg !== alg) throw new CryptoError('unsupported_algorithm', `key ${recipient.kid} is for ${recipient.alg}`);
    if (recipient.use !== 'enc') throw new CryptoError('key_invalid', `key ${recipient.kid} is not an encryption key`);
    return { kid: recipient.kid, wrappingKey: kty === 'oct' ? secretOf(recipient) : publicKeyObjectOf(recipient) };
  }
  const { kid } = recipient;
  if (typeof kid !== 'string' || kid === '') throw new CryptoError('key_invalid', 'the recipient JWK needs a kid');
  if (recipient.alg !== undefined && recipient.alg !== alg) {
    throw new CryptoError('unsupported_algorithm', `key ${kid} is for ${String(recipient.alg)}`);
  }
  if (recipient.use !== undefined && recipient.use !== 'enc') {
    throw new CryptoError('key_invalid', `key ${kid} is not an encryption key`);
  }
  if (recipient.kty !== kty) throw new CryptoError('key_invalid', `${alg} needs a ${kty} key`);
  if (kty === 'oct') {
    const secret = typeof recipient.k === 'string' ? b64uDecode(recipient.k) : undefined;
    if (secret?.length !== 32) throw new CryptoError('key_invalid', `key ${kid} must be 32 bytes`);
    return { kid, wrappingKey: secret };
  }
  return { kid, wrappingKey: publicKeyFromJwk(recipient) };
}

/** Every failure returns `undefined`; the caller turns that into the one generic error. */
function tryDecrypt(jwe: string, keySet: KeySet, options: DecryptOptions): DecryptResult | undefined {
  if (typeof jwe !== 'string') return undefined;
  const parts = jwe.split('.');
  if (parts.length !== 5) return undefined;
  const [encodedHeader, encodedKey, encodedIv, encodedCiphertext, encodedTag] = parts as [string, string, string, string, string];
  const header = decodeJsonObject(encodedHeader);
  if (!header || !acceptableHeader(header, options)) return undefined;

  const key = keySet.find(header.kid as string);
  // RFC 7517 §4.4: a key is used only with the algorithm it was made for, which also stops
  // RSA-OAEP (SHA-1) being tried against an RSA-OAEP-256 key.
  if (!key || key.alg !== header.alg || key.use !== 'enc') return undefined;

  const encryptedKey = b64uDecode(encodedKey);
  const iv = b64uDecode(encodedIv);
  const ciphertext = b64uDecode(encodedCiphertext);
  const tag = b64uDecode(encodedTag);
  if (!encryptedKey?.length || iv?.length !== 12 || !ciphertext || tag?.length !== 16) return undefined;

  try {
    const alg = header.alg as JweAlgorithm;
    const unwrappingKey: UnwrappingKey = key.kty === 'oct' ? secretOf(key) : privateKeyObjectOf(key);
    const cek = unwrapCek(alg, unwrappingKey, encryptedKey, header);
    if (cek.length !== 32) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', cek, iv);
    decipher.setAAD(Buffer.from(encodedHeader, 'ascii'));
    decipher.setAuthTag(tag);
    const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    return { plaintext, header: header as JweHeader };
  } catch {
    return undefined;
  }
}

function acceptableHeader(header: Record<string, unknown>, options: DecryptOptions): boolean {
  const { alg, enc, kid, iat } = header;
  if (typeof alg !== 'string' || !options.algorithms.includes(alg as JweAlgorithm)) return false;
  if (!JWE_ALGORITHMS.includes(alg as JweAlgorithm) || enc !== 'A256GCM') return false;
  // No compression (`zip`, RFC 7516 §4.1.3: compressing secrets before encryption lets the
  // ciphertext length leak them, and we never produce it) and no extensions we would have
  // to understand (RFC 7516 §4.1.13: a recipient that does not know a `crit` name rejects).
  if (header.zip !== undefined || header.crit !== undefined) return false;
  if (typeof kid !== 'string' || !Number.isSafeInteger(iat)) return false;
  const now = nowSeconds();
  if ((iat as number) > now + MAX_FUTURE_SKEW_SECONDS) return false;
  if (options.maxAgeSeconds !== undefined && now - (iat as number) > options.maxAgeSeconds) return false;
  return true;
}
