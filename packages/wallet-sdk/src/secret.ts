const REDACTED = '[redacted]';
// Node's util.inspect.custom, by its registered symbol name, so this file needs no Node import.
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * A funding card number that cannot be printed by mistake: `String(pan)`, template strings,
 * `JSON.stringify`, `console.log` and `util.inspect` all show `[redacted]`. Only `reveal()`
 * gives the digits; call it where the PAN goes on (to the authorization message), nowhere else.
 *
 * @example
 * ```ts
 * const { card } = await acquirer.detokenize(request);
 * logger.info({ card });          // { card: { pan: '[redacted]', expMonth: 12, expYear: 2029 } }
 * authorize(card.pan.reveal());   // '6212345678901232'
 * ```
 */
export class Pan {
  readonly #digits: string;

  constructor(digits: string) {
    this.#digits = digits;
  }

  /**
   * The card number digits.
   *
   * @example
   * ```ts
   * const digits = pan.reveal();
   * ```
   */
  reveal(): string {
    return this.#digits;
  }

  /** The last four digits, safe to show. */
  get last4(): string {
    return this.#digits.slice(-4);
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [INSPECT](): string {
    return `Pan(${REDACTED})`;
  }
}
