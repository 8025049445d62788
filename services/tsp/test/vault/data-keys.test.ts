import { dataKeysRepository } from '../../src/store/data-keys.repository';
import { DataKeys } from '../../src/vault/data-keys';
import { openConfiguredKeyProvider } from '../../src/vault/configured-key-provider';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';

/*
 * Clear data keys in memory (PCI DSS 4.0 3.6/3.7: keys in the fewest places, for the least
 * time): a key the DEK cache lets go of, by eviction or crypto-shredding, is overwritten once
 * the work in progress is done with it; a key handed to a caller for longer (a shared key seals
 * up to 1,000 records) is never overwritten under it.
 */
describe('the DEK cache', () => {
  let tsp: TestTsp;
  let dataKeys: DataKeys;
  beforeAll(async () => {
    tsp = await startTestTsp();
    dataKeys = new DataKeys(tsp.db.db, await openConfiguredKeyProvider(tsp.config, tsp.ctx.logger), 1);
  });
  afterAll(async () => {
    await tsp.close();
  });

  const create = (ownerRef: string) => tsp.db.db.transaction().execute((tx) => dataKeys.createDedicated(tx, 'test', ownerRef));
  /** After the current job: where a wipe deferred past the work in progress has run. */
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
  const zeroed = (key: Buffer) => key.every((byte) => byte === 0);

  it('unwraps a key from the row its caller read with the record, and reads the row afresh when that copy no longer opens', async () => {
    const a = await create('owner_read_with_record');
    await create('owner_evicts_it'); // a leaves the one-entry cache
    const row = await dataKeysRepository.find(tsp.db.db, a.id);
    const reads = jest.spyOn(dataKeysRepository, 'find');
    try {
      expect((await dataKeys.get(tsp.db.db, a.id, row)).equals(a.key)).toBe(true);
      expect(reads).not.toHaveBeenCalled();
      await create('owner_evicts_it_again');
      // A copy read before a re-wrap whose old KEK has since been retired does not open: read again.
      const stale = { ...row!, wrappedKey: Buffer.from(row!.wrappedKey).fill(7, 0, 8) };
      expect((await dataKeys.get(tsp.db.db, a.id, stale)).equals(a.key)).toBe(true);
      expect(reads).toHaveBeenCalledTimes(1);
    } finally {
      reads.mockRestore();
    }
  });

  it('zeroes an evicted key, and reads it again from the database', async () => {
    const a = await create('owner_a');
    const b = await create('owner_b');
    const cachedA = await dataKeys.get(tsp.db.db, a.id); // unwrapped, cached; b is evicted
    expect(cachedA.equals(a.key)).toBe(true);
    await dataKeys.get(tsp.db.db, b.id); // a is evicted
    await nextTurn();
    expect(zeroed(cachedA)).toBe(true);
    expect((await dataKeys.get(tsp.db.db, a.id)).equals(a.key)).toBe(true);
  });

  it('never zeroes a key it handed out for longer (a new key, a shared key)', async () => {
    const fresh = await create('owner_c');
    const shared = await dataKeys.shared('test-shared');
    const copies = [Buffer.from(fresh.key), Buffer.from(shared.key)];
    await create('owner_d'); // evicts both from the one-entry cache
    await dataKeys.get(tsp.db.db, fresh.id);
    await dataKeys.get(tsp.db.db, shared.id);
    await nextTurn();
    expect([fresh.key, shared.key]).toEqual(copies);
    expect(copies.some(zeroed)).toBe(false);
  });

  // Node hands out small buffers as slices of shared 8 KiB slabs; a cached 32-byte key that is
  // such a slice keeps the whole slab alive (10,000 cached keys: about 80 MiB per process, the
  // soak's RSS creep) along with whatever else was allocated in it.
  it('keeps every cached key in memory of its own, not in a shared slab', async () => {
    const big = new DataKeys(tsp.db.db, await openConfiguredKeyProvider(tsp.config, tsp.ctx.logger), 10);
    const made = await tsp.db.db.transaction().execute((tx) => big.createDedicated(tx, 'test', 'owner_slab'));
    const fromCreate = await big.get(tsp.db.db, made.id); // the copy cached at creation
    const other = new DataKeys(tsp.db.db, await openConfiguredKeyProvider(tsp.config, tsp.ctx.logger), 10);
    const unwrapped = await other.get(tsp.db.db, made.id); // read and unwrapped, then cached
    for (const key of [fromCreate, unwrapped]) {
      expect(key.equals(made.key)).toBe(true);
      expect(key.buffer.byteLength).toBe(32);
    }
  });

  it('zeroes a destroyed key', async () => {
    const e = await create('owner_e');
    const cached = await dataKeys.get(tsp.db.db, e.id);
    await tsp.db.db.transaction().execute((tx) => dataKeys.destroy(tx, e.id));
    await nextTurn();
    expect(zeroed(cached)).toBe(true);
  });
});
