import request from 'supertest';
import type { TspError } from '../../src/errors';
import { createVaultServices, type VaultServices } from '../../src/vault';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';
import { testPan } from '@opentsp/card';

describe('online KEK rotation', () => {
  let tsp: TestTsp;
  beforeAll(async () => {
    tsp = await startTestTsp();
  });
  afterAll(async () => {
    await tsp.close();
  });

  const vault = () => tsp.services.vault;
  const store = (pan: string, v: VaultServices = vault()) =>
    tsp.services.uow.transaction((tx) => v.cards.storeCard(tx, { issuerId: 'iss_A', pan, expMonth: 6, expYear: 2032 }));

  it('starts on KEK version 1 with no rotation', async () => {
    expect(await vault().keys.status()).toEqual({
      keks: [{ version: 1, status: 'active', createdAt: expect.any(String), dekCount: expect.any(Number) }],
      rotation: null,
    });
  });

  it('re-wraps every data key while 4 workers read and write cards, with zero failed operations, then retires the old version', async () => {
    const cards = new Map<string, string>();
    // A second TSP process on the same database and keystore, with a one-entry DEK cache, so
    // its reads unwrap almost every time (racing the re-wrap) and it learns KEK 2 from the file.
    const other = await createVaultServices({ ...tsp.ctx, config: { ...tsp.config, dekCacheSize: 1 } }, tsp.services.audit);
    for (let i = 0; i < 200; i++) {
      const pan = testPan();
      cards.set((await store(pan)).cardRef, pan);
    }
    const failures: unknown[] = [];
    let operations = 0;
    let rotating = true;
    const worker = async (id: number) => {
      const v = id % 2 ? other : vault();
      let n = 0;
      while (rotating || n < 20) {
        n += 1;
        try {
          if (n % 3 === 0) {
            const pan = testPan();
            const stored = await store(pan, v);
            cards.set(stored.cardRef, pan);
          } else {
            const refs = [...cards.keys()];
            const ref = refs[(id * 7919 + n * 104729) % refs.length] as string;
            const card = await v.cards.readCard(tsp.db.db, ref);
            if (card.pan.reveal() !== cards.get(ref)) throw new Error(`wrong PAN for ${ref}`);
          }
          operations += 1;
        } catch (err) {
          failures.push(err);
        }
      }
    };
    const workers = Array.from({ length: 4 }, (_, i) => worker(i));
    // Let the workers get going, then rotate and re-wrap in small steps, as the background job does.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const rotation = await vault().keys.rotate({ type: 'cli' });
    expect(rotation).toEqual({
      fromVersion: 1,
      toVersion: 2,
      status: 'running',
      startedAt: expect.any(String),
      deksTotal: expect.any(Number),
      deksRewrapped: 0,
    });
    expect(rotation.deksTotal).toBeGreaterThanOrEqual(200);
    const duringRotation = await vault().keys.status();
    expect(duringRotation.keks.map((k) => [k.version, k.status])).toEqual([
      [2, 'active'],
      [1, 'retiring'],
    ]);
    const second = (await vault().keys.rotate({ type: 'cli' }).catch((e: unknown) => e)) as TspError;
    expect(second.code).toBe('key_rotation_in_progress');
    const status = await vault().keys.drain();
    rotating = false;
    await Promise.all(workers);

    expect(failures).toEqual([]);
    expect(operations).toBeGreaterThan(80);
    expect(status.keks).toEqual([
      { version: 2, status: 'active', createdAt: expect.any(String), dekCount: expect.any(Number) },
      { version: 1, status: 'retired', createdAt: expect.any(String), retiredAt: expect.any(String), dekCount: 0 },
    ]);
    expect(status.rotation).toMatchObject({ fromVersion: 1, toVersion: 2, status: 'completed', completedAt: expect.any(String) });
    expect(status.rotation?.deksRewrapped).toBeGreaterThanOrEqual(rotation.deksTotal);
    // Every DEK is on the new KEK, including those the workers made during the rotation.
    const versions = await tsp.db.db.selectFrom('data_keys').select('kek_version').distinct().where('wrapped_key', 'is not', null).execute();
    expect(versions).toEqual([{ kek_version: 2 }]);
    // And every card still reads, in both processes.
    for (const [ref, pan] of [...cards].slice(0, 50)) {
      expect((await vault().cards.readCard(tsp.db.db, ref)).pan.reveal()).toBe(pan);
      expect((await other.cards.readCard(tsp.db.db, ref)).pan.reveal()).toBe(pan);
    }
  }, 60_000);

  it('destroys the retired KEK: data keys wrapped under version 1 can no longer be unwrapped', async () => {
    const keystore = await import('../../src/vault/keystore-file-provider');
    const provider = await keystore.KeystoreFileProvider.open({
      path: tsp.config.keystorePath as string,
      passphrase: (await import('node:fs')).readFileSync(`${tsp.config.keystorePath as string}.passphrase`, 'utf8').trim(),
    });
    expect(await provider.hasKek(1)).toBe(false);
    expect(await provider.hasKek(2)).toBe(true);
  });

  it('audits the rotation, the retirement and the completion', async () => {
    await tsp.services.audit.flush();
    const entries = await tsp.db.db.selectFrom('audit_entries').select(['action', 'subject_type', 'subject_id', 'actor']).where('subject_type', '=', 'kek').orderBy('pk').execute();
    expect(entries).toEqual([
      { action: 'key.rotate', subject_type: 'kek', subject_id: '2', actor: { type: 'cli' } },
      { action: 'key.retire', subject_type: 'kek', subject_id: '1', actor: { type: 'system' } },
      { action: 'key.rotation_completed', subject_type: 'kek', subject_id: '2', actor: { type: 'system' } },
    ]);
  });

  it('rotates again once the previous rotation completed', async () => {
    const rotation = await vault().keys.rotate({ type: 'cli' });
    expect(rotation).toMatchObject({ fromVersion: 2, toVersion: 3, status: 'running' });
    const status = await vault().keys.drain();
    expect(status.keks.map((k) => [k.version, k.status])).toEqual([
      [3, 'active'],
      [2, 'retired'],
      [1, 'retired'],
    ]);
  });

  it('refuses the admin key routes without an access token (401 unauthorized)', async () => {
    for (const res of [await request(tsp.url).post('/v1/admin/keys/rotate'), await request(tsp.url).get('/v1/admin/keys')]) {
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('unauthorized');
    }
    expect((await vault().keys.status()).keks[0]?.version).toBe(3); // nothing rotated
  });
});
