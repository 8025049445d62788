/**
 * Luhn (ISO/IEC 7812-1 Annex B) check digit arithmetic for PANs and token PANs.
 */

/** True when `digits` (only 0-9, at least two) has a valid Luhn check digit. */
export function isLuhnValid(digits: string): boolean {
  if (!/^[0-9]{2,}$/.test(digits)) return false;
  return luhnSum(digits, false) % 10 === 0;
}

/** The check digit to append to `partial` so the whole number is Luhn-valid. */
export function luhnCheckDigit(partial: string): string {
  if (!/^[0-9]+$/.test(partial)) throw new RangeError('luhnCheckDigit takes digits only');
  return String((10 - (luhnSum(partial, true) % 10)) % 10);
}

function luhnSum(digits: string, doubleFirstFromRight: boolean): number {
  let sum = 0;
  let double = doubleFirstFromRight;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum;
}
