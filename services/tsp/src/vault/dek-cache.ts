/**
 * Unwrapped data keys in memory, bounded, least-recently-used first out. The detokenize hot
 * path (≥ 3,000/s) reads a card's DEK from here: a Map lookup, no JOSE, no query.
 * An evicted or destroyed key is zeroed so it does not linger in the heap longer than needed.
 */
export class DekCache {
  readonly #keys = new Map<string, Buffer>();

  constructor(private readonly capacity: number) {}

  get(id: string): Buffer | undefined {
    const key = this.#keys.get(id);
    if (key) {
      // Re-insert: Map keeps insertion order, so the first entry is the least recently used.
      this.#keys.delete(id);
      this.#keys.set(id, key);
    }
    return key;
  }

  set(id: string, key: Buffer): void {
    this.#keys.delete(id);
    this.#keys.set(id, key);
    while (this.#keys.size > this.capacity) {
      const oldest = this.#keys.keys().next().value as string;
      this.#keys.delete(oldest);
    }
  }

  /** Forgets a key (crypto-shredding); the bytes are overwritten. */
  drop(id: string): void {
    this.#keys.get(id)?.fill(0);
    this.#keys.delete(id);
  }

  get size(): number {
    return this.#keys.size;
  }
}
