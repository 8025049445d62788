import type { components } from '@opentsp/api-types';
import { isLuhnValid } from '@opentsp/card';
import { CompactEncrypt } from 'jose';
import { ValidationError, localProblem } from './errors';
import type { CardEncryptionAlg, JwksCache } from './jwks';
import { randomUuid, seconds, utf8, type Clock } from './platform';

/** Card data as the cardholder typed it; the plaintext of `encryptedCard` (contract `CardPlaintext`). */
export type CardPlaintext = components['schemas']['CardPlaintext'];

export interface CardEncryptionOptions {
  /** Key-management algorithms in order of preference (default RSA-OAEP-256, then ECDH-ES+A256KW). */
  algorithms?: readonly CardEncryptionAlg[];
  clock?: Clock;
  signal?: AbortSignal;
}

/**
 * Encrypts card data as a compact JWE (RFC 7516 §7.1) to the TSP's current `enc` key, so the
 * PAN never leaves the device in clear: protected header `alg` (`RSA-OAEP-256` or
 * `ECDH-ES+A256KW`), `enc` `A256GCM`, `kid` and `iat` (the TSP refuses one more than 5
 * minutes old, so encrypt right before sending). Spaces and dashes in the PAN are removed; a
 * PAN that is not 16–19 digits or fails the Luhn check is refused here, before any network.
 *
 * @example
 * ```ts
 * const encryptedCard = await encryptCard({ pan: '6212 3456 7890 1232', expMonth: 12, expYear: 2029 }, wallet.jwks);
 * ```
 * @throws ValidationError `validation_failed` / `card_invalid_luhn`; IntegrationError `jwks_key_unavailable`.
 */
export async function encryptCard(card: CardPlaintext, jwks: JwksCache, options: CardEncryptionOptions = {}): Promise<string> {
  const plaintext = normalizeCard(card);
  const { jwk, alg, key } = await jwks.encryptionKey(options.algorithms, options.signal);
  const iat = seconds((options.clock ?? Date.now)());
  return new CompactEncrypt(utf8(JSON.stringify(plaintext)))
    .setProtectedHeader({ alg, enc: 'A256GCM', kid: jwk.kid, iat })
    .encrypt(key);
}

/**
 * Runs `send` with freshly encrypted card data; when the TSP answers `jwe_invalid` (its `enc`
 * key rotated or was retired since the JWKS was cached), refreshes the JWKS, re-encrypts and
 * sends once more. The second try gets its own `Idempotency-Key` (derived from the first):
 * its body differs, and the TSP refuses a key reused with another body.
 *
 * @example
 * ```ts
 * const token = await withEncryptedCard(card, jwks, {}, (encryptedCard, key) => post(encryptedCard, key), idempotencyKey);
 * ```
 */
export async function withEncryptedCard<T>(
  card: CardPlaintext,
  jwks: JwksCache,
  options: CardEncryptionOptions,
  send: (encryptedCard: string, idempotencyKey: string) => Promise<T>,
  idempotencyKey: string = randomUuid(),
): Promise<T> {
  try {
    return await send(await encryptCard(card, jwks, options), idempotencyKey);
  } catch (error) {
    if (!(error instanceof ValidationError) || error.code !== 'jwe_invalid') throw error;
    jwks.invalidate();
    return send(await encryptCard(card, jwks, options), `${idempotencyKey.slice(0, 240)}.rekeyed`);
  }
}

/** The card with a digits-only PAN, checked locally (no card data in the error). */
function normalizeCard(card: CardPlaintext): CardPlaintext {
  const pan = typeof card?.pan === 'string' ? card.pan.replace(/[\s-]/g, '') : '';
  if (!/^[0-9]{16,19}$/.test(pan)) throw localProblem('validation_failed', 'The card number must be 16 to 19 digits.');
  if (!isLuhnValid(pan)) throw localProblem('card_invalid_luhn', 'The card number fails the Luhn check.');
  const out: CardPlaintext = { pan, expMonth: card.expMonth, expYear: card.expYear };
  if (card.cvv2 !== undefined) out.cvv2 = card.cvv2;
  if (card.cardholderName !== undefined) out.cardholderName = card.cardholderName;
  return out;
}
