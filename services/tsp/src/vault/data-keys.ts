import { randomBytes } from 'node:crypto';
import { dataKeysRepository, type WrappedDataKey } from '../store/data-keys.repository';
import type { Executor } from '../store/transaction';
import { KeyCache } from '../util/bounded-cache';
import { randomId } from './ids';
import type { KeyProvider } from './key-provider';
import { VaultError, VaultKeyError } from './vault-error';

/** A data key in clear, in memory only. */
export interface DataKey {
  readonly id: string;
  readonly key: Buffer;
}

/**
 * Records one shared data key may seal before a fresh one is made. Far below the 2^32 random
 * IV limit of AES-GCM (NIST SP 800-38D §8.3); small so destroying a key loses little.
 */
export const SHARED_DEK_MAX_RECORDS = 1_000;

/** The AAD binding a wrapped DEK to its id and the KEK version that wraps it. */
export function wrapAad(dekId: string, kekVersion: number): Buffer {
  return Buffer.from(`opentsp:dek:${dekId}:kek:${kekVersion}`, 'utf8');
}

/**
 * Data keys (DEKs): made fresh from the CSPRNG, stored only wrapped by the active KEK
 * version, unwrapped on first use and kept in a bounded cache. The detokenize hot path
 * (≥ 3,000/s) reads a card's DEK from there: a Map lookup, no JOSE, no query. A key the cache
 * evicts or a destroyed one is zeroed (see KeyCache), so use what `get` returns at once.
 */
export class DataKeys {
  readonly cache: KeyCache;
  readonly #shared = new Map<string, { key: DataKey; used: number }>();
  readonly #sharedPending = new Map<string, Promise<DataKey>>();

  constructor(
    private readonly db: Executor,
    private readonly provider: KeyProvider,
    cacheSize: number,
  ) {
    this.cache = new KeyCache(cacheSize);
  }

  /**
   * A new DEK owned by one record (`ownerRef`, e.g. a card), written in the caller's
   * transaction so it commits or rolls back with the record.
   */
  async createDedicated(tx: Executor, purpose: string, ownerRef: string): Promise<DataKey> {
    return this.#create(tx, purpose, ownerRef);
  }

  /**
   * The current shared DEK of `purpose` in this process, replaced after
   * {@link SHARED_DEK_MAX_RECORDS} seals. It is committed on its own (not in the caller's
   * transaction), so a rolled-back caller cannot leave records pointing at a missing key.
   */
  async shared(purpose: string): Promise<DataKey> {
    for (;;) {
      const current = this.#shared.get(purpose);
      if (current && current.used < SHARED_DEK_MAX_RECORDS) {
        current.used += 1;
        return current.key;
      }
      let pending = this.#sharedPending.get(purpose);
      if (!pending) {
        pending = this.db
          .transaction()
          .execute((tx) => this.#create(tx, purpose, null))
          .then((key) => {
            this.#shared.set(purpose, { key, used: 0 });
            return key;
          })
          .finally(() => this.#sharedPending.delete(purpose));
        this.#sharedPending.set(purpose, pending);
      }
      await pending;
    }
  }

  /**
   * The clear key of `dekId`: from the cache, else unwrapped from `read` (the row as the
   * caller read it with its record, sparing a round trip) or from the row read now. A key
   * re-wrapped and its old KEK retired between the read and our unwrap is read once more.
   */
  async get(executor: Executor, dekId: string, read?: WrappedDataKey): Promise<Buffer> {
    const cached = this.cache.get(dekId);
    if (cached) return cached;
    for (let attempt = 0; ; attempt++) {
      const row = attempt === 0 && read?.id === dekId ? read : await dataKeysRepository.find(executor, dekId);
      if (!row) throw new VaultError();
      try {
        const unwrapped = await this.provider.unwrap(row.kekVersion, row.wrappedKey, wrapAad(row.id, row.kekVersion));
        // The cache's copy is handed out; the unwrapped original (a slice of a shared slab) is wiped.
        const key = this.cache.set(dekId, unwrapped);
        unwrapped.fill(0);
        return key;
      } catch (err) {
        if (attempt >= 1) throw err instanceof VaultError ? err : new VaultError();
      }
    }
  }

  /** Crypto-shredding: the wrapped key is destroyed in the database and dropped from memory. */
  async destroy(tx: Executor, dekId: string): Promise<void> {
    await dataKeysRepository.destroy(tx, dekId);
    this.cache.delete(dekId);
  }

  async #create(tx: Executor, purpose: string, ownerRef: string | null): Promise<DataKey> {
    let version = await dataKeysRepository.lockActiveVersion(tx);
    // A rotation committing during our statement can leave no row visible; read again.
    version ??= await dataKeysRepository.lockActiveVersion(tx);
    if (version === undefined) throw new VaultKeyError('no active KEK version');
    const id = randomId('dek_');
    const key = randomBytes(32);
    const wrappedKey = await this.provider.wrap(version, key, wrapAad(id, version));
    await dataKeysRepository.insert(tx, { id, purpose, ownerRef, kekVersion: version, wrappedKey });
    // The cache keeps its own copy (KeyCache.set): the caller may keep this key past the
    // cache's wipe (a shared key seals up to SHARED_DEK_MAX_RECORDS values).
    this.cache.set(id, key);
    return { id, key };
  }
}
