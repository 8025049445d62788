import { isLuhnValid } from '../domain/card/luhn';

/**
 * Last line of defence against card data in logs (PCI DSS 4.0 req. 3.3/3.4): any run of
 * 13-19 digits (optionally split by spaces or dashes) that passes Luhn is masked, wherever
 * it appears in a serialized log line. Redaction by path (see logger.ts) catches the known
 * fields; this catches a PAN that slipped into a message, a URL or an error text.
 */
const DIGIT_RUN = /(?<![0-9])(?:[0-9][ -]?){12,18}[0-9](?![0-9])/g;

export const PAN_MASK = '[REDACTED_PAN]';

export function scrubCardNumbers(text: string): string {
  return text.replace(DIGIT_RUN, (match) => {
    const digits = match.replace(/[ -]/g, '');
    return digits.length >= 13 && digits.length <= 19 && isLuhnValid(digits) ? PAN_MASK : match;
  });
}

/**
 * True when `text` holds a Luhn-valid run of 16-19 digits: a PAN as this TSP accepts them
 * (the contract's card numbers are 16-19 digits). Shorter Luhn-valid runs are left alone here
 * because 15-digit merchant ids pass Luhn one time in ten; logs still mask them (above).
 */
export function containsCardNumber(text: string): boolean {
  for (const match of text.matchAll(DIGIT_RUN)) {
    const digits = match[0].replace(/[ -]/g, '');
    if (digits.length >= 16 && digits.length <= 19 && isLuhnValid(digits)) return true;
  }
  return false;
}
