import { sql } from 'kysely';
import type { KekVersionsTable } from './kek-versions.table';
import type { KeyRotationsTable } from './key-rotations.table';
import type { Executor } from './transaction';

export interface KekVersionRow {
  version: number;
  kid: string;
  status: KekVersionsTable['status'];
  createdAt: Date;
  retiredAt: Date | null;
}

export interface KeyRotationRow {
  id: number;
  fromVersion: number;
  toVersion: number;
  status: KeyRotationsTable['status'];
  startedAt: Date;
  completedAt: Date | null;
  deksTotal: number;
  deksRewrapped: number;
  error: string | null;
}

// One advisory lock for "changing KEK versions" (rotate, retire): one process at a time.
const KEK_LOCK = 0x4f5453504b454b31n; // "OTSPKEK1"

/** Storage of KEK versions and rotations. */
export const kekRepository = {
  /** Serialises KEK changes across processes for the rest of the transaction. */
  async lock(tx: Executor): Promise<void> {
    await sql`select pg_advisory_xact_lock(${KEK_LOCK})`.execute(tx);
  },

  async versions(executor: Executor): Promise<KekVersionRow[]> {
    const rows = await executor.selectFrom('kek_versions').selectAll().orderBy('version', 'desc').execute();
    return rows.map((r) => ({ version: r.version, kid: r.kid, status: r.status, createdAt: r.created_at, retiredAt: r.retired_at }));
  },

  /** Registers a version; a concurrent registration of the same version is a no-op. */
  async insertVersion(executor: Executor, version: { version: number; kid: string; provider: string; status: KekVersionsTable['status'] }): Promise<void> {
    await executor.insertInto('kek_versions').values(version).onConflict((oc) => oc.column('version').doNothing()).execute();
  },

  async setStatus(executor: Executor, version: number, status: KekVersionsTable['status']): Promise<void> {
    await executor
      .updateTable('kek_versions')
      .set({ status, retired_at: status === 'retired' ? new Date() : null })
      .where('version', '=', version)
      .execute();
  },

  /**
   * Locks a retiring version `FOR UPDATE`: waits until no transaction that read it as active
   * (and may still insert a DEK under it) is open. Gives up after `lock_timeout`.
   */
  async lockVersionForRetirement(tx: Executor, version: number): Promise<void> {
    await sql`set local lock_timeout = '2s'`.execute(tx);
    await tx.selectFrom('kek_versions').select('version').where('version', '=', version).forUpdate().execute();
  },

  async latestRotation(executor: Executor): Promise<KeyRotationRow | undefined> {
    const r = await executor.selectFrom('key_rotations').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst();
    return r && rotationRow(r);
  },

  async insertRotation(tx: Executor, rotation: { fromVersion: number; toVersion: number; deksTotal: number }): Promise<KeyRotationRow> {
    const r = await tx
      .insertInto('key_rotations')
      .values({ from_version: rotation.fromVersion, to_version: rotation.toVersion, status: 'running', deks_total: rotation.deksTotal, completed_at: null, error: null })
      .returningAll()
      .executeTakeFirstOrThrow();
    return rotationRow(r);
  },

  async addRewrapped(executor: Executor, id: number, count: number): Promise<void> {
    await executor
      .updateTable('key_rotations')
      .set((eb) => ({
        deks_rewrapped: eb('deks_rewrapped', '+', count),
        deks_total: sql<number>`greatest(deks_total, deks_rewrapped + ${count})`,
      }))
      .where('id', '=', id)
      .execute();
  },

  async finishRotation(executor: Executor, id: number, status: 'completed' | 'failed', error?: string): Promise<void> {
    await executor
      .updateTable('key_rotations')
      .set({ status, completed_at: new Date(), error: error ?? null })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .execute();
  },
};

function rotationRow(r: {
  id: number;
  from_version: number;
  to_version: number;
  status: KeyRotationsTable['status'];
  started_at: Date;
  completed_at: Date | null;
  deks_total: number;
  deks_rewrapped: number;
  error: string | null;
}): KeyRotationRow {
  return {
    id: Number(r.id),
    fromVersion: r.from_version,
    toVersion: r.to_version,
    status: r.status,
    startedAt: r.started_at,
    completedAt: r.completed_at,
    deksTotal: r.deks_total,
    deksRewrapped: r.deks_rewrapped,
    error: r.error,
  };
}
