import { findCardNumbers, replaceCardNumbers } from '@opentsp/card';

/**
 * Last line of defence against card data in logs (PCI DSS 4.0 req. 3.3/3.4): any run of
 * 13-19 digits (optionally split by spaces or dashes) that passes Luhn is masked, wherever
 * it appears in a serialized log line. Redaction by path (see logger.ts) catches the known
 * fields; this catches a PAN that slipped into a message, a URL or an error text.
 */
export const PAN_MASK = '[REDACTED_PAN]';

export function scrubCardNumbers(text: string): string {
  return replaceCardNumbers(text, () => PAN_MASK);
}

/**
 * True when `text` holds a Luhn-valid run of 16-19 digits: a PAN as this TSP accepts them
 * (the contract's card numbers are 16-19 digits). Shorter Luhn-valid runs are left alone here
 * because 15-digit merchant ids pass Luhn one time in ten; logs still mask them (above).
 */
export function containsCardNumber(text: string): boolean {
  return findCardNumbers(text, { minDigits: 16 }).length > 0;
}
