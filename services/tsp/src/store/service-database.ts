import { sql } from 'kysely';
import type { MigrationResult } from 'kysely';
import { openDatabase, type DatabaseHandle, type DatabaseOptions } from './database';
import {
  assertRestrictedServiceRole,
  DEFAULT_SERVICE_ROLE,
  derivedServicePassword,
  ensureServiceRole,
  grantServiceRole,
  resetServiceRolePassword,
  withCredentials,
} from './database-roles';
import { maintainPartitions, migrateToLatest } from './migrate';

export interface ServiceDatabaseOptions extends Omit<DatabaseOptions, 'connectionString'> {
  /** `DATABASE_URL`: the service role's connection, or (alone) the owner's. */
  url: string;
  /** `DATABASE_OWNER_URL`: the owner, for migrations; absent = `url` is the owner (single-URL mode). */
  ownerUrl?: string;
}

export interface ServiceDatabase {
  /** The pool the service runs on, as the restricted service role. */
  database: DatabaseHandle;
  /** Its connection string (single-URL mode: the derived service role's). */
  url: string;
  applied: MigrationResult[];
}

/**
 * Migrates as the owner, then opens the service's pool as the restricted service role
 * (database-roles.ts). Two URLs: `ownerUrl` migrates and grants to the role named in `url`.
 * One URL (development, tests, CI): it is the owner; the TSP creates or updates the
 * `opentsp_service` role itself, inside the migration lock, and connects as it. Either way
 * the service refuses to start as a role that could rewrite the audit log.
 */
export async function openServiceDatabase(options: ServiceDatabaseOptions): Promise<ServiceDatabase> {
  const { url, ownerUrl, ...poolOptions } = options;
  const single = !ownerUrl;
  const role = single ? DEFAULT_SERVICE_ROLE : decodeURIComponent(new URL(url).username);
  const password = derivedServicePassword(url);
  const owner = openDatabase({ connectionString: ownerUrl ?? url, poolSize: 1, applicationName: 'opentsp-migrate' });
  let applied: MigrationResult[];
  try {
    applied = await migrateToLatest(owner.db, {
      // One transaction: grants are revoked and given again table by table, and a process starting
      // next to running ones (a worker restarted after a database failover) must never leave a
      // moment where their audit inserts are refused.
      afterMigrations: async (connection) => {
        await sql`begin`.execute(connection);
        try {
          if (single) await ensureServiceRole(connection, role, password);
          await grantServiceRole(connection, role);
          await sql`commit`.execute(connection);
        } catch (err) {
          await sql`rollback`.execute(connection).catch(() => undefined);
          throw err;
        }
      },
    });
  } finally {
    await owner.close();
  }
  const serviceUrl = single ? withCredentials(url, role, password) : url;
  const database = await connect(serviceUrl, poolOptions, single ? () => resetPassword(url, role, password) : undefined);
  try {
    await assertRestrictedServiceRole(database.db);
  } catch (err) {
    await database.close();
    throw err;
  }
  return { database, url: serviceUrl, applied };
}

// A role created earlier with another password (e.g. under another owner URL): single-URL
// mode owns the role, so it resets the password once and connects again.
async function connect(url: string, options: Omit<DatabaseOptions, 'connectionString'>, reset?: () => Promise<void>): Promise<DatabaseHandle> {
  const database = openDatabase({ ...options, connectionString: url });
  try {
    await database.ping(5_000);
    return database;
  } catch (err) {
    await database.close();
    if (!reset || (err as { code?: string }).code !== '28P01') throw err;
  }
  await reset();
  const retried = openDatabase({ ...options, connectionString: url });
  await retried.ping(5_000).catch(async (err: unknown) => {
    await retried.close();
    throw err;
  });
  return retried;
}

async function resetPassword(ownerUrl: string, role: string, password: string): Promise<void> {
  const owner = openDatabase({ connectionString: ownerUrl, poolSize: 1 });
  try {
    await resetServiceRolePassword(owner.db, role, password);
  } finally {
    await owner.close();
  }
}

/** How often `opentsp serve` runs partition maintenance (idempotent; next month is created weeks ahead). */
export const PARTITION_MAINTENANCE_INTERVAL_MS = 6 * 60 * 60 * 1000;

/**
 * Partition maintenance while the service runs (partitions.ts): every `intervalMs`, as the owner
 * (`ownerUrl`, or `url` in single-URL mode), on a connection opened for it and closed after.
 * A failure is logged and retried at the next tick; the service keeps serving (an insert
 * without its month's partition lands in DEFAULT, never fails).
 */
export function startPartitionMaintenance(
  options: { url: string; ownerUrl?: string },
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void },
  intervalMs = PARTITION_MAINTENANCE_INTERVAL_MS,
): () => Promise<void> {
  let running: Promise<void> | undefined;
  const tick = () => {
    running ??= (async () => {
      const owner = openDatabase({ connectionString: options.ownerUrl ?? options.url, poolSize: 1, applicationName: 'opentsp-partitions' });
      try {
        const { detached, dropped, blocked } = await maintainPartitions(owner.db);
        if (detached.length || dropped.length || blocked.length) log.info({ detached, dropped, blocked }, 'partition maintenance');
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'partition maintenance failed; retrying at the next tick');
      } finally {
        await owner.close().catch(() => undefined);
        running = undefined;
      }
    })();
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
