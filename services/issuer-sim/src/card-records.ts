import { testPan } from '@opentsp/card';
import { CryptoError, decryptJson, KeySet, type Jwk } from '@opentsp/crypto';
import type { components } from '@opentsp/api-types';

type CardVerificationResult = components['schemas']['CardVerificationResult'];
type Jwks = components['schemas']['Jwks'];

/** What the bank knows of one of its cards (a real bank: its card management system). */
export interface CardRecord {
  pan: string;
  expMonth: number;
  expYear: number;
  cvv2: string;
}

/** The card data the TSP sends in a token activation request (`IssuerCardPlaintext`). */
export interface SentCard {
  pan: string;
  expMonth: number;
  expYear: number;
  cvv2?: string;
}

/** Every simulated card's CVV2, the sandbox test cards' included (sandbox.json `testCardDetails`). */
export const SIMULATOR_CVV2 = '123';
/** The sandbox test cards' expiry (sandbox.json `testCardDetails`). */
export const SANDBOX_CARD_EXPIRY = { expMonth: 12, expYear: 2031 } as const;

/** The sandbox TSP's test cards (approve `…234x`, step-up `…111x`, decline `…000x`), as sandbox-bootstrap makes them. */
export const SANDBOX_CARDS: readonly CardRecord[] = ['234', '111', '000'].map((last3) => ({
  pan: testPan({ prefix: '621234100001', suffix: last3 }),
  ...SANDBOX_CARD_EXPIRY,
  cvv2: SIMULATOR_CVV2,
}));

/**
 * The simulated bank's card records and its check of the card data in a decision request.
 * A card the bank has a record of is checked on expiry and CVV2; a card it has none of (the
 * tests' random PANs) is checked on CVV2 against {@link SIMULATOR_CVV2} only, its expiry
 * `not_checked`. A CVV2 that was not sent is `not_checked`: the TSP then never approves.
 */
export class CardBook {
  readonly #records = new Map<string, CardRecord>();

  constructor(records: readonly CardRecord[] = SANDBOX_CARDS) {
    for (const r of records) this.add(r);
  }

  add(record: CardRecord): void {
    this.#records.set(record.pan, { ...record });
  }

  check(card: SentCard): { expiryResult: CardVerificationResult; cvv2Result: CardVerificationResult } {
    const record = this.#records.get(card.pan);
    const expiryResult = !record ? 'not_checked' : record.expMonth === card.expMonth && record.expYear === card.expYear ? 'match' : 'no_match';
    const cvv2Result = card.cvv2 === undefined ? 'not_checked' : card.cvv2 === (record?.cvv2 ?? SIMULATOR_CVV2) ? 'match' : 'no_match';
    return { expiryResult, cvv2Result };
  }
}

const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']);

/** The public halves of the simulator's card-data keys, to register as the issuer's `jwks`. */
export function publicJwksOf(keys: readonly Jwk[]): Jwks {
  return { keys: keys.map((k) => Object.fromEntries(Object.entries(k).filter(([name]) => !PRIVATE_MEMBERS.has(name))) as unknown as Jwks['keys'][number]) };
}

/** Opens `encryptedCard` with the bank's key; undefined when it cannot (wrong key, tampered, stale, bad shape). */
export async function openCardData(jwe: string, keys: KeySet): Promise<SentCard | undefined> {
  try {
    const { value } = await decryptJson<Record<string, unknown>>(jwe, keys, { algorithms: ['RSA-OAEP-256', 'ECDH-ES+A256KW'], maxAgeSeconds: 300 });
    if (typeof value.pan !== 'string' || !Number.isInteger(value.expMonth) || !Number.isInteger(value.expYear)) return undefined;
    if (value.cvv2 !== undefined && typeof value.cvv2 !== 'string') return undefined;
    return {
      pan: value.pan,
      expMonth: value.expMonth as number,
      expYear: value.expYear as number,
      ...(typeof value.cvv2 === 'string' ? { cvv2: value.cvv2 } : {}),
    };
  } catch (err) {
    if (err instanceof CryptoError) return undefined;
    throw err;
  }
}
