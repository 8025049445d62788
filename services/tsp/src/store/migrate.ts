import { type Kysely, Migrator, type MigrationResult } from 'kysely';
import { jobQueueRepository } from './job-queue.repository';
import { migrations } from './migrations';

/**
 * Brings the schema to the latest version with Kysely's Migrator. Safe to run from several
 * processes at once: the Migrator takes a Postgres advisory lock.
 */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResult[]> {
  const migrator = new Migrator({
    db,
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
  await jobQueueRepository.installSchema(db);
  return results ?? [];
}
