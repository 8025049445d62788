/**
 * Internal helpers for the JOSE compact forms (not exported from the package).
 * Decoding is strict: RFC 7515 §2 base64url has no padding and no other alphabet, and a lax
 * decoder would let two different strings carry the same bytes.
 */

const BASE64URL = /^[A-Za-z0-9_-]*$/;

export function b64uEncode(input: Uint8Array | string): string {
  return Buffer.from(input as Uint8Array).toString('base64url');
}

/** Returns `undefined` instead of throwing so callers can fold every failure into one error. */
export function b64uDecode(input: string): Buffer | undefined {
  if (!BASE64URL.test(input) || input.length % 4 === 1) return undefined;
  const bytes = Buffer.from(input, 'base64url');
  // Non-canonical trailing bits (e.g. "AB" vs "AA" for one byte) would make the encoding
  // malleable; re-encode and compare.
  return bytes.toString('base64url') === input ? bytes : undefined;
}

/** Decodes a base64url JSON object (a JOSE header or JWT claims set), else `undefined`. */
export function decodeJsonObject(input: string): Record<string, unknown> | undefined {
  const bytes = b64uDecode(input);
  if (bytes === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The bytes of a payload given as text, bytes or a JSON value. */
export function payloadBytes(payload: string | Uint8Array | object): Buffer {
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  if (payload instanceof Uint8Array) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return Buffer.from(JSON.stringify(payload), 'utf8');
}

/**
 * How far a JWE/JWS `iat` may run ahead of our clock: 5 minutes of skew between parties,
 * the same window receivers give webhook signatures (DESIGN §7a).
 */
export const MAX_FUTURE_SKEW_SECONDS = 300;

/** The clock, in whole seconds (JOSE NumericDate, RFC 7519 §2). Reads Date.now so tests can move it. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * The `kid` of a compact JWS or JWE's protected header, read without verifying or trusting
 * anything else in it (to pick the key that will verify or decrypt it); `undefined` when the
 * header is not strict base64url JSON or its `kid` is not a string of at most 128 characters.
 */
export function compactKid(compact: string): string | undefined {
  const kid = decodeJsonObject(compact.split('.', 1)[0] ?? '')?.kid;
  return typeof kid === 'string' && kid.length <= 128 ? kid : undefined;
}
