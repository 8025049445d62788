import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../../services/tsp/src/store/database';
import { openServiceDatabase } from '../../services/tsp/src/store/service-database';
import { assertNoCardDataInDatabase } from './leak-scan';

export interface TestDatabase extends DatabaseHandle {
  /**
   * Connection string of this test's own database as its owner: the one URL a TSP or CLI is
   * given (it migrates as the owner and runs as its restricted service role).
   */
  readonly url: string;
  /** The restricted service role's connection string (what this handle's pool uses). */
  readonly serviceUrl: string;
  readonly name: string;
  /** A connection as the database owner (migrations; tests that play an insider). */
  readonly owner: DatabaseHandle;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

function serverUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run tests through jest (global setup provides it)');
  return url;
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl(), 'postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh database for one test file, migrated to the latest schema. Isolation by database
 * (not schema) keeps every test free to use the real table names and extensions. The handle
 * is the restricted service role the TSP runs as (DESIGN §4), exactly as in production;
 * `owner` is the schema owner (without migration, the handle is the owner too).
 */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `opentsp_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = withDatabase(serverUrl(), name);
  const owner = openDatabase({ connectionString: url, poolSize: options.migrate === false ? 5 : 2 });
  const service = options.migrate === false ? { database: owner, url } : await openServiceDatabase({ url, poolSize: 5 });
  const handle = service.database;
  return {
    ...handle,
    url,
    serviceUrl: service.url,
    name,
    owner,
    async drop() {
      // Leak scan before the data is gone: no card number in clear in any column (PCI DSS 3.5).
      const leak = await assertNoCardDataInDatabase(handle.pool, name).then(() => undefined, (err: unknown) => (/card data/.test(String(err)) ? err : undefined));
      await handle.close();
      await owner.close();
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      if (leak) throw leak;
    },
  };
}
