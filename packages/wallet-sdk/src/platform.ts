/*
 * The few platform primitives the SDK needs, all from the Web platform so the same code runs on
 * Node ≥ 20, browsers and React Native (with a WebCrypto polyfill such as
 * react-native-quick-crypto): `globalThis.crypto` (getRandomValues, subtle) and TextEncoder.
 * Nothing here imports a Node module.
 */

function webCrypto(): Crypto {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (!c?.getRandomValues) {
    throw new Error('@opentsp/wallet-sdk needs WebCrypto (globalThis.crypto); on React Native install a polyfill.');
  }
  return c;
}

/**
 * A random UUID v4 (RFC 9562 §5.4), used as `Idempotency-Key` and assertion `jti`.
 *
 * @example
 * ```ts
 * const key = randomUuid(); // '6f1c2b7e-8a0d-4c55-9d3e-2b7f9e1a4c10'
 * ```
 */
export function randomUuid(): string {
  const c = webCrypto();
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text);
}

/** Lower-case hex SHA-256 of a string's UTF-8 bytes. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await webCrypto().subtle.digest('SHA-256', utf8(text));
  return Array.from(new Uint8Array(digest), (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Base64 (standard alphabet) of a string's UTF-8 bytes, for `Authorization: Basic`. */
export function base64Utf8(text: string): string {
  let binary = '';
  for (const byte of utf8(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Seconds since the epoch of a millisecond clock. */
export function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** A clock in milliseconds since the epoch (injectable in tests). */
export type Clock = () => number;
