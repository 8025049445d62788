import { type Kysely, Migrator, type MigrationResult, sql } from 'kysely';
import { jobQueueRepository } from './job-queue.repository';
import { migrations } from './migrations';
import { ensureAllPartitions, type PartitionMaintenance } from './partitions';

/** Session advisory lock held by whoever is migrating ("OTSP" in ASCII). */
const MIGRATION_LOCK = 0x4f545350;

/** Runs `work` on one connection holding the migration lock (session advisory lock). */
async function underMigrationLock<T>(db: Kysely<any>, work: (connection: Kysely<any>) => Promise<T>): Promise<T> {
  return db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(connection);
    try {
      return await work(connection);
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(connection);
    }
  });
}

function warnBlocked({ blocked }: PartitionMaintenance): void {
  if (blocked.length) {
    process.emitWarning(`partitions not created, their rows are in the DEFAULT partition: ${blocked.join(', ')} (docs/operations.md, "Monthly partitions: maintenance")`);
  }
}

/**
 * The partition step of a migration run alone, under the same lock: the months to come
 * created, the issuances' attached months trimmed to their policy (partitions.ts). `opentsp serve` runs it every 6 hours as the owner, so a
 * deployment that runs for months without a restart never writes into the DEFAULT partition.
 */
export async function maintainPartitions(db: Kysely<any>, now = new Date()): Promise<PartitionMaintenance> {
  return underMigrationLock(db, async (connection) => {
    const result = await ensureAllPartitions(connection, now);
    warnBlocked(result);
    return result;
  });
}

/**
 * Brings the schema to the latest version: ours (Kysely's Migrator) and the job queue's
 * (graphile-worker's own versioned schema). Safe to run from several processes at once: the
 * whole of it runs on one connection holding a session advisory lock. Kysely's own lock is
 * not enough: before taking it, the Migrator introspects every table, and that catalog read
 * fails ("relation graphile_worker.tasks does not exist") when another process is installing
 * the job queue's schema at that moment — seen with several processes starting together on
 * an empty database.
 */
export async function migrateToLatest(
  db: Kysely<any>,
  options: { afterMigrations?: (connection: Kysely<any>) => Promise<void> } = {},
): Promise<MigrationResult[]> {
  return underMigrationLock(db, async (connection) => {
    const migrator = new Migrator({
      db: connection,
      provider: { getMigrations: async () => migrations },
      migrationTableName: 'opentsp_migrations',
      migrationLockTableName: 'opentsp_migrations_lock',
    });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error');
      throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${String((error as Error).message ?? error)}`);
    }
    // The job queue behind the webhook outbox keeps its own versioned schema (graphile-worker).
    await jobQueueRepository.installSchema(connection);
    // The coming months' partitions of the audit log and the issuances (the service role
    // cannot create them), the issuances trimmed to their policy: at every start and every
    // `opentsp migrate` (and every 6 hours in `opentsp serve`, maintainPartitions).
    warnBlocked(await ensureAllPartitions(connection));
    // Still under the lock: the service role's grants on what the migrations created.
    await options.afterMigrations?.(connection);
    return results ?? [];
  });
}
