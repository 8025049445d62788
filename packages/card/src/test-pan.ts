import { luhnCheckDigit } from './luhn';

/**
 * What a test card number looks like. Laid out as `prefix`, then the free digits (`serial`,
 * the seeded or random digits), then `suffix`, then the check digit.
 */
export interface TestPanOptions {
  /** Leading digits: the card (or token) BIN range. Default `621234`, the sandbox card BIN. */
  prefix?: string;
  /** Digits in all, check digit included. Default 16. */
  length?: number;
  /**
   * Digits just before the check digit. The issuer simulator decides on the last four:
   * `000…` declines, `111…` steps up, anything else approves (`suffix: '234'`).
   */
  suffix?: string;
  /** Fills the free digits with this number, zero-padded: one distinct, reproducible PAN per serial. */
  serial?: number;
  /** Fills the free digits from a pseudo-random sequence of this seed: the same seed, the same PAN. */
  seed?: number;
  /** `false` gives a number whose check digit is wrong (for `card_invalid_luhn` cases). Default true. */
  luhnValid?: boolean;
}

/**
 * A test card number. Without `serial` or `seed` the free digits come from the platform's
 * CSPRNG (`crypto.getRandomValues`, in Node 20 and browsers alike), so parallel tests do not
 * collide.
 *
 * @example
 * ```ts
 * testPan();                                        // '6212347303916254' (random, Luhn-valid)
 * testPan({ prefix: '621300', suffix: '111' });     // issuer-sim asks for step-up
 * testPan({ prefix: '621377', serial: 42 });        // '6213770000000420'
 * testPan({ luhnValid: false });                    // fails the Luhn check
 * ```
 * @throws RangeError when the parts do not fit in `length`, or a part is not digits.
 */
export function testPan(options: TestPanOptions = {}): string {
  const { prefix = '621234', length = 16, suffix = '', serial, seed, luhnValid = true } = options;
  if (!/^[0-9]*$/.test(prefix + suffix)) throw new RangeError('testPan: prefix and suffix are digits');
  if (!Number.isInteger(length) || length < 2 || length > 19) throw new RangeError('testPan: length is 2 to 19');
  const free = length - 1 - prefix.length - suffix.length;
  if (free < 0) throw new RangeError('testPan: prefix and suffix leave no room for the check digit');
  let middle: string;
  if (serial !== undefined) {
    middle = String(serial).padStart(free, '0');
    if (!Number.isInteger(serial) || serial < 0 || middle.length > free) throw new RangeError(`testPan: serial ${serial} does not fit in ${free} digits`);
  } else {
    middle = seed !== undefined ? seededDigits(seed, free) : randomDigits(free);
  }
  const partial = prefix + middle + suffix;
  const check = Number(luhnCheckDigit(partial));
  return partial + String(luhnValid ? check : (check + 1) % 10);
}

function randomDigits(count: number): string {
  let out = '';
  while (out.length < count) {
    for (const byte of globalThis.crypto.getRandomValues(new Uint8Array(count - out.length + 4))) {
      // 250–255 would make 0–5 likelier than 6–9.
      if (byte < 250 && out.length < count) out += String(byte % 10);
    }
  }
  return out;
}

/** Mulberry32: a tiny, well-spread 32-bit generator; test data only, never keys. */
function seededDigits(seed: number, count: number): string {
  let state = seed >>> 0;
  let out = '';
  while (out.length < count) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out += String(Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 10));
  }
  return out;
}
