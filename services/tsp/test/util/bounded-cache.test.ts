import { BoundedCache, KeyCache } from '../../src/util/bounded-cache';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('BoundedCache', () => {
  it('keeps at most its capacity, evicting the least recently used', () => {
    const evicted: string[] = [];
    const cache = new BoundedCache<number>(2, { onEvict: (_value, key) => evicted.push(key) });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');
    cache.set('c', 3);
    expect(cache.size).toBe(2);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([1, undefined, 3]);
    expect(evicted).toEqual(['b']);
  });

  it('tells onEvict of every value it lets go of: replaced, deleted, cleared', () => {
    const evicted: number[] = [];
    const cache = new BoundedCache<number>(5, { onEvict: (value) => evicted.push(value) });
    cache.set('a', 1);
    cache.set('a', 1); // the same value again: nothing let go
    cache.set('a', 2);
    cache.set('b', 3);
    cache.delete('b');
    cache.delete('missing');
    cache.set('c', 4);
    cache.clear();
    expect(evicted).toEqual([1, 3, 2, 4]);
    expect(cache.size).toBe(0);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new BoundedCache(0)).toThrow(RangeError);
    expect(() => new BoundedCache(1.5)).toThrow(RangeError);
  });
});

describe('KeyCache', () => {
  it('zeroes evicted, deleted and cleared keys once the current job is done, not while it may still use them', async () => {
    const cache = new KeyCache(1);
    const a = cache.set('a', Buffer.alloc(4, 1));
    const b = cache.set('b', Buffer.alloc(4, 2)); // evicts a
    expect(a).toEqual(Buffer.alloc(4, 1));
    cache.delete('b');
    const c = cache.set('c', Buffer.alloc(4, 3));
    cache.clear();
    await nextTurn();
    for (const key of [a, b, c]) expect(key).toEqual(Buffer.alloc(4, 0));
  });

  it('keeps a copy of each key in memory of its own, never a slice of a shared 8 KiB slab', () => {
    const cache = new KeyCache(2);
    const slice = Buffer.from('0123456789abcdef0123456789abcdef'); // Node pools buffers this small
    expect(slice.buffer.byteLength).toBeGreaterThan(32);
    const kept = cache.set('k', slice);
    expect(cache.get('k')).toBe(kept);
    expect(kept.equals(slice)).toBe(true);
    expect(kept.buffer.byteLength).toBe(32);
    // The caller's buffer is the caller's: the cache neither keeps nor wipes it.
    cache.delete('k');
    expect(slice.toString()).toBe('0123456789abcdef0123456789abcdef');
  });

  it('leaves the keys it holds alone', async () => {
    const cache = new KeyCache(2);
    const a = Buffer.alloc(4, 1);
    cache.set('a', a);
    cache.set('a', a);
    await nextTurn();
    expect(cache.get('a')).toEqual(Buffer.alloc(4, 1));
  });
});
