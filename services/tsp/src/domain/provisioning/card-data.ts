import { isLuhnValid } from '@opentsp/card';
import { CryptoError, decryptJson, type KeySet } from '@opentsp/crypto';
import { Cvv2, Pan } from '../../vault/secrets';
import { ValidationError } from '../../errors';

/** Card data from an `encryptedCard` JWE, with the PAN typed so it cannot be printed. */
export interface CardData {
  pan: Pan;
  expMonth: number;
  expYear: number;
  cardholderName?: string;
  /**
   * The CVV2 the wallet sent, for the issuer's check only: it leaves the TSP solely inside the
   * JWE to the issuer's `enc` key and is never stored or logged (PCI DSS 4.0 req. 3.3.1.2).
   */
  cvv2?: Cvv2;
}

/** Card-data JWEs are encrypted to the TSP's `enc` keys with these algorithms only (DESIGN §7a). */
export const CARD_JWE_ALGORITHMS = ['RSA-OAEP-256', 'ECDH-ES+A256KW'] as const;

const JWE_INVALID = 'The encrypted card data cannot be decrypted.';

/**
 * Decrypts and checks `encryptedCard`: one generic `jwe_invalid` for every decryption or shape
 * failure (wrong key, tampered, disallowed algorithm, stale `iat`, not `CardPlaintext`) so the
 * answer is no oracle (RFC 7516 §11.4-11.5); then `card_invalid_luhn` (ISO/IEC 7812-1
 * Annex B) and `card_expired` (valid through the end of its expiry month).
 */
export async function decryptCardData(jwe: string, keys: KeySet, options: { maxAgeSeconds: number; now?: Date }): Promise<CardData> {
  let value: Record<string, unknown>;
  try {
    ({ value } = await decryptJson<Record<string, unknown>>(jwe, keys, { algorithms: CARD_JWE_ALGORITHMS, maxAgeSeconds: options.maxAgeSeconds }));
  } catch (err) {
    if (err instanceof CryptoError) throw new ValidationError('jwe_invalid', JWE_INVALID);
    throw err;
  }
  const card = cardPlaintext(value);
  if (!card) throw new ValidationError('jwe_invalid', JWE_INVALID);
  if (!isLuhnValid(card.pan.reveal())) throw new ValidationError('card_invalid_luhn', 'The card number fails the Luhn check.');
  if (isExpired(card.expMonth, card.expYear, options.now ?? new Date())) throw new ValidationError('card_expired', 'The card has expired.');
  return card;
}

/** True when a card valid through the end of month/year has expired at `now` (UTC). */
export function isExpired(month: number, year: number, now: Date): boolean {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth() + 1;
  return year < y || (year === y && month < m);
}

const ALLOWED = new Set(['pan', 'expMonth', 'expYear', 'cvv2', 'cardholderName']);

// CardPlaintext (openapi/tsp.yaml): additionalProperties false; checked without echoing values.
function cardPlaintext(value: unknown): CardData | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (Object.keys(v).some((k) => !ALLOWED.has(k))) return undefined;
  if (typeof v.pan !== 'string' || !/^[0-9]{16,19}$/.test(v.pan)) return undefined;
  if (!Number.isInteger(v.expMonth) || (v.expMonth as number) < 1 || (v.expMonth as number) > 12) return undefined;
  if (!Number.isInteger(v.expYear) || (v.expYear as number) < 2000 || (v.expYear as number) > 2099) return undefined;
  if (v.cvv2 !== undefined && (typeof v.cvv2 !== 'string' || !/^[0-9]{3,4}$/.test(v.cvv2))) return undefined;
  if (v.cardholderName !== undefined && (typeof v.cardholderName !== 'string' || v.cardholderName.length < 1 || v.cardholderName.length > 64)) {
    return undefined;
  }
  return {
    pan: Pan.of(v.pan),
    expMonth: v.expMonth as number,
    expYear: v.expYear as number,
    ...(typeof v.cvv2 === 'string' ? { cvv2: Cvv2.of(v.cvv2) } : {}),
    ...(typeof v.cardholderName === 'string' ? { cardholderName: v.cardholderName } : {}),
  };
}
