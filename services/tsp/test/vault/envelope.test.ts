import { sql } from 'kysely';
import { Plaintext, VaultError } from '../../src/vault';
import { SHARED_DEK_MAX_RECORDS } from '../../src/vault/data-keys';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';

describe('envelope encryption for other areas', () => {
  let tsp: TestTsp;
  beforeAll(async () => {
    tsp = await startTestTsp();
  });
  afterAll(async () => {
    await tsp.close();
  });

  it('seals and opens a secret bound to its purpose, row and field', async () => {
    const { envelope } = tsp.services.vault;
    const context = { purpose: 'otp', ownerRef: 'chl_abc', field: 'secret' };
    const sealed = await envelope.seal(tsp.db.db, context, 'JBSWY3DPEHPK3PXP');
    expect(sealed).toMatch(/^ev1\.dek_[A-Za-z0-9]+\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    const opened = await envelope.open(tsp.db.db, sealed, context);
    expect(opened).toBeInstanceOf(Plaintext);
    expect(opened.text()).toBe('JBSWY3DPEHPK3PXP');
    for (const wrong of [
      { ...context, ownerRef: 'chl_abd' },
      { ...context, purpose: 'client-key' },
      { ...context, field: 'other' },
    ]) {
      await expect(envelope.open(tsp.db.db, sealed, wrong)).rejects.toThrow(VaultError);
    }
    await expect(envelope.open(tsp.db.db, 'ev1.dek_nope.AAAA', context)).rejects.toThrow(VaultError);
    await expect(envelope.open(tsp.db.db, 'garbage', context)).rejects.toThrow(VaultError);
  });

  it(`shares one data key across at most ${SHARED_DEK_MAX_RECORDS} records of a purpose`, async () => {
    const { envelope } = tsp.services.vault;
    const sealed = await Promise.all(
      Array.from({ length: SHARED_DEK_MAX_RECORDS + 1 }, (_, i) => envelope.seal(tsp.db.db, { purpose: 'bound-test', ownerRef: `r${i}` }, `v${i}`)),
    );
    const keys = new Map<string, number>();
    for (const s of sealed) keys.set(envelope.dataKeyOf(s), (keys.get(envelope.dataKeyOf(s)) ?? 0) + 1);
    expect(keys.size).toBe(2);
    expect(Math.max(...keys.values())).toBe(SHARED_DEK_MAX_RECORDS);
    expect((await envelope.open(tsp.db.db, sealed[SHARED_DEK_MAX_RECORDS] as string, { purpose: 'bound-test', ownerRef: `r${SHARED_DEK_MAX_RECORDS}` })).text()).toBe(
      `v${SHARED_DEK_MAX_RECORDS}`,
    );
  });

  it('crypto-shreds a value sealed with a dedicated key', async () => {
    const { envelope } = tsp.services.vault;
    const context = { purpose: 'client-key', ownerRef: 'cli_x' };
    const sealed = await tsp.services.uow.transaction((tx) => envelope.seal(tx, context, 'k', { dedicatedKey: true }));
    expect((await envelope.open(tsp.db.db, sealed, context)).text()).toBe('k');
    await tsp.services.uow.transaction((tx) => envelope.destroyKey(tx, sealed));
    await expect(envelope.open(tsp.db.db, sealed, context)).rejects.toThrow(VaultError);
  });

  it('leaves no data key behind when the transaction of a dedicated seal rolls back', async () => {
    const { envelope } = tsp.services.vault;
    let sealed = '';
    await expect(
      tsp.services.uow.transaction(async (tx) => {
        sealed = await envelope.seal(tx, { purpose: 'client-key', ownerRef: 'cli_y' }, 'k', { dedicatedKey: true });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from data_keys where id = ${envelope.dataKeyOf(sealed)}`.execute(tsp.db.db);
    expect(rows[0]?.n).toBe(0);
  });
});
