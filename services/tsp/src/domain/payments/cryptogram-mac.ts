import { randomBytes } from 'node:crypto';
import { hkdfSha256, hmacSha256, timingSafeEqualStrings } from '@opentsp/crypto';
import type { Executor } from '../../store/transaction';
import { paymentsRepository } from '../../store/payments.repository';
import { KeyCache } from '../../util/bounded-cache';
import type { SecretSealer } from './ports';

/** What a cryptogram covers: the token, its ATC and the transaction data (defaults filled in). */
export interface CryptogramInput {
  tokenPan: string;
  atc: number;
  amount: number;
  currency: string;
  merchantId: string;
  channel: string;
  transactionType: string;
  unpredictableNumber?: string | undefined;
}

/** 20 bytes, like a UCAF / TAVV value (openapi `Cryptogram`: 27 base64url characters). */
export const CRYPTOGRAM_BYTES = 20;
const VERSION = 'opentsp-cryptogram-v1';
const MASTER_KEY_NAME = 'cryptogram-master-v1';
const KEY_INFO = 'opentsp/cryptogram/v1';

/**
 * The MAC input as netstrings (`<byte length>:<value>,`, D. J. Bernstein): every field is
 * length-prefixed, so no two different transactions encode to the same bytes ("12"+"3" ≠
 * "1"+"23"), and an absent unpredictable number is the empty string, distinct from any value.
 */
export function canonicalCryptogramInput(input: CryptogramInput): string {
  const fields = [
    VERSION,
    input.tokenPan,
    String(input.atc),
    String(input.amount),
    input.currency,
    input.merchantId,
    input.channel,
    input.transactionType,
    input.unpredictableNumber ?? '',
  ];
  return fields.map((field) => `${Buffer.byteLength(field, 'utf8')}:${field},`).join('');
}

/** HMAC-SHA-256 under the token's key, truncated to 20 bytes (RFC 2104 §5), base64url. */
export function computeCryptogram(tokenKey: Buffer, input: CryptogramInput): string {
  return hmacSha256(tokenKey, canonicalCryptogramInput(input)).subarray(0, CRYPTOGRAM_BYTES).toString('base64url');
}

/** Constant-time check of a presented cryptogram (no timing oracle on where it differs). */
export function verifyCryptogram(tokenKey: Buffer, input: CryptogramInput, presented: string): boolean {
  return timingSafeEqualStrings(computeCryptogram(tokenKey, input), presented);
}

/**
 * The cryptogram keys. One random 256-bit master key per deployment, sealed by the vault
 * envelope and stored in `payment_keys`; each token's key is HKDF(master, salt = tokenRef,
 * info = 'opentsp/cryptogram/v1') (RFC 5869 §3.1: the salt separates the tokens' keys), kept
 * in a bounded cache so the hot path derives it once per token per process.
 */
export class CryptogramKeys {
  #master: Promise<Buffer> | undefined;
  readonly #tokenKeys: KeyCache;

  constructor(
    private readonly db: Executor,
    private readonly sealer: SecretSealer,
    cacheSize: number,
  ) {
    this.#tokenKeys = new KeyCache(cacheSize);
  }

  /** The key of one token. */
  /**
   * Loads the master key (the only database read `keyFor` can make): detokenize calls it before
   * its transaction, so `keyFor` inside never waits for a second pool connection while holding
   * one (at a cold start with as many requests as connections, that wait would never end).
   */
  async ready(): Promise<void> {
    await this.#masterKey();
  }

  async keyFor(tokenRef: string): Promise<Buffer> {
    const cached = this.#tokenKeys.get(tokenRef);
    if (cached) return cached;
    const derived = hkdfSha256(await this.#masterKey(), tokenRef, KEY_INFO, 32);
    const key = this.#tokenKeys.set(tokenRef, derived);
    derived.fill(0);
    return key;
  }

  #masterKey(): Promise<Buffer> {
    this.#master ??= this.#loadMaster().catch((err: unknown) => {
      this.#master = undefined; // a failed load (database down) is retried by the next call
      throw err;
    });
    return this.#master;
  }

  async #loadMaster(): Promise<Buffer> {
    const context = { purpose: 'cryptogram-key', ownerRef: MASTER_KEY_NAME };
    let sealed = await paymentsRepository.findKey(this.db, MASTER_KEY_NAME);
    if (!sealed) {
      // Several processes may start at once: each proposes a key, the first insert wins.
      const proposal = await this.sealer.seal(this.db, context, randomBytes(32));
      sealed = await paymentsRepository.putKeyIfAbsent(this.db, MASTER_KEY_NAME, proposal);
    }
    const master = await this.sealer.open(this.db, sealed, context);
    if (master.length !== 32) throw new Error('the cryptogram master key is not 32 bytes');
    return master;
  }
}
