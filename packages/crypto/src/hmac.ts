import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * HMAC-SHA-256 (RFC 2104) over the parts in order. Parts are concatenated with no
 * separator, so give fixed-length parts or add your own delimiter when two fields could
 * shift into each other ("ab"+"c" equals "a"+"bc").
 *
 * @example
 * ```ts
 * const fingerprint = hmacSha256(fingerprintKey, 'pan:', pan).toString('base64url');
 * ```
 */
export function hmacSha256(key: Buffer, ...parts: (Buffer | string)[]): Buffer {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/**
 * HKDF with SHA-256 (RFC 5869): extract-and-expand `length` bytes (at most 255 × 32).
 *
 * @example
 * ```ts
 * const dek = hkdfSha256(masterKey, salt, 'opentsp vault dek v1', 32);
 * ```
 */
export function hkdfSha256(ikm: Buffer, salt: Buffer | string, info: Buffer | string, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}

/**
 * Compares two strings in time that does not depend on where they differ. Different
 * lengths return `false` (the length itself is not hidden, which is fine for codes, MACs and
 * tokens of a fixed format).
 *
 * @example
 * ```ts
 * if (!timingSafeEqualStrings(presentedSecretHash, storedSecretHash)) throw unauthorized();
 * ```
 */
export function timingSafeEqualStrings(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) {
    // Same work as a real comparison, then the answer we already know.
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}
