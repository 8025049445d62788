import { generateSecret, generateSync } from 'otplib';
import { CryptoError } from './errors';
import { nowSeconds } from './encoding';
import { timingSafeEqualStrings } from './hmac';

/**
 * One-time passwords for ID&V step-up (HOTP, RFC 4226; TOTP, RFC 6238) via otplib, HMAC-SHA-1
 * as both RFCs and every authenticator app expect. A secret is base32 (RFC 4648 §6) text or
 * raw bytes; otplib refuses secrets under 128 bits (RFC 4226 §4 R6).
 */
export type OtpSecret = string | Uint8Array;

export type OtpDigits = 6 | 7 | 8;

/**
 * A new random OTP secret: 160 bits (RFC 4226 §4 recommends 160), base32 without padding.
 *
 * @example
 * ```ts
 * const secret = generateOtpSecret(); // 'JBSWY3DPEHPK3PXP…' (32 characters)
 * ```
 */
export function generateOtpSecret(): string {
  return generateSecret({ length: 20 });
}

/**
 * The HOTP value for a counter (RFC 4226 §5.3).
 *
 * @example
 * ```ts
 * const code = hotp(secret, attempt.counter); // '755224'
 * ```
 * @throws CryptoError `key_invalid` for a malformed or too short secret.
 */
export function hotp(secret: OtpSecret, counter: number, digits: OtpDigits = 6): string {
  return run(() => generateSync({ strategy: 'hotp', secret, counter, digits: checkDigits(digits) }));
}

/**
 * Whether `code` is the HOTP value for exactly this counter, compared in constant time.
 * No look-ahead window: the TSP issues the counter, so the caller knows it; bound the number
 * of attempts per counter outside (DESIGN §5: OTP guessing is bounded).
 *
 * @example
 * ```ts
 * if (!verifyHotp(body.otp, secret, verification.counter)) return fail('otp_invalid');
 * ```
 */
export function verifyHotp(code: string, secret: OtpSecret, counter: number, digits: OtpDigits = 6): boolean {
  const expected = hotp(secret, counter, digits);
  return timingSafeEqualStrings(typeof code === 'string' ? code : '', expected);
}

/**
 * The TOTP value at a time (RFC 6238 §4): HOTP over floor(epochSeconds / step).
 *
 * @example
 * ```ts
 * const code = totp(secret); // now, 30-second steps, 6 digits
 * const vector = totp(rfcSecret, { epochSeconds: 59, digits: 8 }); // '94287082'
 * ```
 */
export function totp(
  secret: OtpSecret,
  options: { step?: number; epochSeconds?: number; digits?: OtpDigits } = {},
): string {
  const { step = 30, epochSeconds = nowSeconds(), digits = 6 } = options;
  return run(() => generateSync({ strategy: 'totp', secret, period: step, epoch: epochSeconds, digits: checkDigits(digits) }));
}

function checkDigits(digits: number): OtpDigits {
  // RFC 4226 §5.3: at least 6 digits; more than 8 would exceed what 31 bits can carry evenly.
  if (digits !== 6 && digits !== 7 && digits !== 8) throw new TypeError('digits must be 6, 7 or 8');
  return digits;
}

// otplib's own error classes stay inside this package; callers see CryptoError only.
function run(generate: () => string): string {
  try {
    return generate();
  } catch (e) {
    if (e instanceof TypeError) throw e;
    throw new CryptoError('key_invalid', `OTP secret or parameters rejected: ${(e as Error).message}`);
  }
}
