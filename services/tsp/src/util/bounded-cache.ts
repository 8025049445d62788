/**
 * A least-recently-used map with a hard size bound, for hot-path values derived from keys
 * (data keys, per-token cryptogram keys, unsealed client keys): memory stays bounded however
 * many cards, tokens or clients a process sees. `onEvict` hears of every value the cache lets
 * go of (evicted, deleted, replaced, cleared), so a cache of secrets can wipe them.
 */
export class BoundedCache<V> {
  // Map keeps insertion order: the first entry is the least recently used.
  readonly #entries = new Map<string, V>();
  readonly #onEvict: ((value: V, key: string) => void) | undefined;

  constructor(
    private readonly capacity: number,
    options: { onEvict?: (value: V, key: string) => void } = {},
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.#onEvict = options.onEvict;
  }

  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      // Re-inserting makes this the most recently used.
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    const previous = this.#entries.get(key);
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (previous !== undefined && previous !== value) this.#onEvict?.(previous, key);
    while (this.#entries.size > this.capacity) {
      const [oldest, evicted] = this.#entries.entries().next().value as [string, V];
      this.#entries.delete(oldest);
      this.#onEvict?.(evicted, oldest);
    }
  }

  delete(key: string): void {
    const value = this.#entries.get(key);
    if (value === undefined) return;
    this.#entries.delete(key);
    this.#onEvict?.(value, key);
  }

  clear(): void {
    const entries = [...this.#entries];
    this.#entries.clear();
    for (const [key, value] of entries) this.#onEvict?.(value, key);
  }

  get size(): number {
    return this.#entries.size;
  }
}

/**
 * A bounded cache of key bytes that overwrites a key with zeros once it lets go of it, so clear
 * keys do not linger in the heap (PCI DSS 4.0 3.6/3.7). The wipe waits for the current job to
 * finish (`setImmediate`): a caller that was handed the key just before it was evicted (two
 * requests interleaving on a small cache) still has its key for the synchronous crypto right
 * after its `await`. Hand out a copy of a key that must outlive that (a shared data key).
 */
export class KeyCache extends BoundedCache<Buffer> {
  constructor(capacity: number) {
    super(capacity, { onEvict: (key) => setImmediate(() => key.fill(0)) });
  }

  /**
   * Keeps a copy of `key` in memory of its own and returns that copy. Node hands out small
   * buffers (`Buffer.from`, `Buffer.concat`, decipher output) as slices of shared 8 KiB slabs
   * (`Buffer.poolSize`), and a slice keeps its whole slab alive: 10,000 cached 32-byte data keys
   * could hold up to 80 MiB per process (in a soak worker, every cached key held a slab of its
   * own), and the soak's RSS kept climbing as new cards filled the cache (docs/reliability.md).
   * The slab's other bytes, whatever else was allocated there, would have lived as long.
   * `Buffer.alloc` is never pooled. The caller still owns `key`.
   */
  override set(id: string, key: Buffer): Buffer {
    const own = Buffer.alloc(key.length);
    key.copy(own);
    super.set(id, own);
    return own;
  }
}
