import { isLuhnValid } from './luhn';

/**
 * A card-number-shaped run: 13–19 digits, a single space or dash allowed between any two
 * (`6212 3456 7890 1232`, `6212-3456-…`), not part of a longer digit run. The log scrubber,
 * the console's masking, the webhook sink and the tests' leak scan all look for card numbers
 * with this one pattern. Global: use it with `matchAll` / `replace`, or through the helpers.
 */
export const CARD_NUMBER_RUN = /(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])/g;

export interface CardNumberOptions {
  /** Fewest digits that count (default 13; 16 for "a PAN as the TSP accepts them"). */
  minDigits?: number;
  /** Most digits that count (default 19). */
  maxDigits?: number;
  /**
   * Only Luhn-valid runs count (default true): most long digit strings that are not card
   * numbers (a 15-digit merchant id, a timestamp) fail the check nine times in ten.
   */
  luhn?: boolean;
}

function counts(digits: string, options: CardNumberOptions): boolean {
  const { minDigits = 13, maxDigits = 19, luhn = true } = options;
  return digits.length >= minDigits && digits.length <= maxDigits && (!luhn || isLuhnValid(digits));
}

/** The digits of every card number in `text` (separators removed), in order of appearance. */
export function findCardNumbers(text: string, options: CardNumberOptions = {}): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(CARD_NUMBER_RUN)) {
    const digits = match[0].replace(/[ -]/g, '');
    if (counts(digits, options)) found.push(digits);
  }
  return found;
}

/**
 * `text` with every card number replaced by `replacement(digits, run)`; other digit runs
 * stay as written.
 *
 * @example
 * ```ts
 * replaceCardNumbers('card 6212 3456 7890 1232 declined', () => '[PAN]'); // 'card [PAN] declined'
 * ```
 */
export function replaceCardNumbers(text: string, replacement: (digits: string, run: string) => string, options: CardNumberOptions = {}): string {
  return text.replace(CARD_NUMBER_RUN, (run) => {
    const digits = run.replace(/[ -]/g, '');
    return counts(digits, options) ? replacement(digits, run) : run;
  });
}
