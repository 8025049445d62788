/**
 * A small least-recently-used map with a hard size bound, for hot-path values derived from
 * keys (per-token cryptogram keys, unsealed client keys): memory stays bounded however many
 * tokens or clients a process sees. Evicted Buffers are zeroed so key bytes do not linger.
 */
export class BoundedCache<V> {
  readonly #entries = new Map<string, V>();

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      // Map keeps insertion order: re-inserting makes this the most recently used.
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#wipe(this.#entries.get(oldest));
      this.#entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.#wipe(this.#entries.get(key));
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  #wipe(value: V | undefined): void {
    if (Buffer.isBuffer(value)) value.fill(0);
  }
}
