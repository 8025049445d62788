import { inspect } from 'node:util';

/**
 * Secret values typed so they cannot be printed by mistake: `JSON.stringify`, template
 * strings, `console.log` and pino all see `[redacted]`. The value is reachable only through
 * an explicit, greppable `reveal()` (PCI DSS 4.0 req. 3.3/3.4: no PAN in logs or errors).
 */
const REDACTED = '[redacted]';

abstract class Redacted {
  toJSON(): string {
    return REDACTED;
  }
  toString(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}

// Values live outside the instances so no enumeration, spread or structured clone reaches them.
const panDigits = new WeakMap<Pan, string>();
const plaintextBytes = new WeakMap<Plaintext, Buffer>();
const cvv2Digits = new WeakMap<Cvv2, string>();

/**
 * A primary account number (digits only).
 *
 * @example
 * ```ts
 * const pan = Pan.of('6212345678901232');
 * pan.last4;          // '1232'
 * `${pan}`;           // '[redacted]'
 * pan.reveal();       // '6212345678901232' — only where the clear PAN is really needed
 * ```
 */
export class Pan extends Redacted {
  readonly last4: string;
  readonly length: number;

  private constructor(digits: string) {
    super();
    panDigits.set(this, digits);
    this.last4 = digits.slice(-4);
    this.length = digits.length;
  }

  /** Wraps a PAN of 12–19 digits (ISO/IEC 7812-1); throws a RangeError without echoing it. */
  static of(digits: string): Pan {
    if (typeof digits !== 'string' || !/^[0-9]{12,19}$/.test(digits)) throw new RangeError('a PAN is 12 to 19 digits');
    return new Pan(digits);
  }

  /** The clear digits. */
  reveal(): string {
    return panDigits.get(this) as string;
  }

  /** The first `n` digits (the BIN / IIN is 6 or 8, ISO/IEC 7812-1:2017 §4.2). */
  leading(n: number): string {
    return this.reveal().slice(0, n);
  }

  /** Constant-structure equality with another PAN. */
  equals(other: Pan): boolean {
    return this.reveal() === other.reveal();
  }
}

/**
 * A card security code (CVV2 / CVC2, 3 or 4 digits), held in memory only between decrypting
 * the wallet's `encryptedCard` and encrypting it to the issuer: never stored, never logged
 * (PCI DSS 4.0 req. 3.3.1.2: no card verification code after authorization).
 */
export class Cvv2 extends Redacted {
  private constructor(digits: string) {
    super();
    cvv2Digits.set(this, digits);
  }

  /** Wraps 3 or 4 digits; throws a RangeError without echoing them. */
  static of(digits: string): Cvv2 {
    if (typeof digits !== 'string' || !/^[0-9]{3,4}$/.test(digits)) throw new RangeError('a CVV2 is 3 or 4 digits');
    return new Cvv2(digits);
  }

  /** The clear digits, for the JWE to the issuer only. */
  reveal(): string {
    return cvv2Digits.get(this) as string;
  }
}

/**
 * Decrypted bytes (an OTP secret, a private JWK, a client key) as handed back by the
 * envelope.
 *
 * @example
 * ```ts
 * const secret = await vault.envelope.open(tx, row.sealed_secret, { purpose: 'otp', ownerRef: challengeId });
 * const otpSecret = secret.text();
 * ```
 */
export class Plaintext extends Redacted {
  constructor(bytes: Buffer) {
    super();
    plaintextBytes.set(this, bytes);
  }
  bytes(): Buffer {
    return plaintextBytes.get(this) as Buffer;
  }
  text(): string {
    return this.bytes().toString('utf8');
  }
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }
}

/** The sensitive part of a vaulted card, decrypted. Printing it prints `[redacted]`. */
export class CardSecret extends Redacted {
  constructor(
    readonly cardRef: string,
    readonly issuerId: string,
    readonly pan: Pan,
    readonly expMonth: number,
    readonly expYear: number,
    readonly cardholderName?: string,
  ) {
    super();
  }
}
