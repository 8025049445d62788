import { sql } from 'kysely';
import type { Executor } from './transaction';

export interface WrappedDataKey {
  id: string;
  kekVersion: number;
  wrappedKey: Buffer;
}

/** Storage of wrapped data keys (DEKs) and KEK versions. Repositories take the executor first. */
export const dataKeysRepository = {
  /**
   * The active KEK version, locked `FOR KEY SHARE` until the caller's transaction ends: a
   * retirement (`lockVersionForRetirement`) waits for every transaction that may still be
   * wrapping a new DEK under it, while the rotation's status UPDATE does not (no deadlock).
   */
  async lockActiveVersion(executor: Executor): Promise<number | undefined> {
    const row = await executor
      .selectFrom('kek_versions')
      .select('version')
      .where('status', '=', 'active')
      .forKeyShare()
      .executeTakeFirst();
    return row?.version;
  },

  async insert(executor: Executor, key: { id: string; purpose: string; ownerRef: string | null; kekVersion: number; wrappedKey: Buffer }): Promise<void> {
    await executor
      .insertInto('data_keys')
      .values({ id: key.id, purpose: key.purpose, owner_ref: key.ownerRef, kek_version: key.kekVersion, wrapped_key: key.wrappedKey })
      .execute();
  },

  /** The wrapped key, or undefined when there is none or it was destroyed. */
  async find(executor: Executor, id: string): Promise<WrappedDataKey | undefined> {
    const row = await executor
      .selectFrom('data_keys')
      .select(['id', 'kek_version', 'wrapped_key'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row?.wrapped_key) return undefined;
    return { id: row.id, kekVersion: row.kek_version, wrappedKey: row.wrapped_key };
  },

  /** Crypto-shredding: the wrapped key is overwritten with NULL (the row stays for references). */
  async destroy(executor: Executor, id: string): Promise<void> {
    await executor
      .updateTable('data_keys')
      .set({ wrapped_key: null, destroyed_at: new Date() })
      .where('id', '=', id)
      .execute();
  },

  /** Live keys not wrapped under `activeVersion`, locked for re-wrap (other workers skip them). */
  async lockStale(executor: Executor, activeVersion: number, limit: number): Promise<WrappedDataKey[]> {
    const rows = await executor
      .selectFrom('data_keys')
      .select(['id', 'kek_version', 'wrapped_key'])
      .where('kek_version', '<>', activeVersion)
      .where('wrapped_key', 'is not', null)
      .orderBy('id')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
    return rows.map((r) => ({ id: r.id, kekVersion: r.kek_version, wrappedKey: r.wrapped_key as Buffer }));
  },

  /** Moves keys to `toVersion` in one statement (only rows still on their old version change). */
  async rewrap(executor: Executor, toVersion: number, keys: ReadonlyArray<{ id: string; fromVersion: number; wrappedKey: Buffer }>): Promise<void> {
    if (keys.length === 0) return;
    const values = sql.join(keys.map((k) => sql`(${k.id}, ${k.fromVersion}::int, ${k.wrappedKey}::bytea)`));
    await sql`update data_keys as d set kek_version = ${toVersion}, wrapped_key = v.wrapped_key
      from (values ${values}) as v(id, from_version, wrapped_key)
      where d.id = v.id and d.kek_version = v.from_version`.execute(executor);
  },

  /** Live data keys per KEK version. */
  async countByVersion(executor: Executor): Promise<Map<number, number>> {
    const rows = await executor
      .selectFrom('data_keys')
      .select(['kek_version', sql<number>`count(*)::int`.as('n')])
      .where('wrapped_key', 'is not', null)
      .groupBy('kek_version')
      .execute();
    return new Map(rows.map((r) => [r.kek_version, Number(r.n)]));
  },
};

/** Removes a data key that was never used (a card insert lost a race to an identical card). */
export async function deleteUnusedDataKey(tx: Executor, id: string): Promise<void> {
  await tx.deleteFrom('data_keys').where('id', '=', id).execute();
}
