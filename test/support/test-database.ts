import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../../services/tsp/src/store/database';
import { assertRestrictedServiceRole, DEFAULT_SERVICE_ROLE, derivedServicePassword, withCredentials } from '../../services/tsp/src/store/database-roles';
import { openServiceDatabase } from '../../services/tsp/src/store/service-database';
import { assertNoCardDataInDatabase } from './leak-scan';

/**
 * The environment variable naming this run's migrated template database (set by
 * global-setup.ts). Without it (a script outside jest), every database migrates itself.
 */
export const TEMPLATE_DATABASE_ENV = 'OPENTSP_TEST_TEMPLATE_DATABASE';
/** The server (`host:port`) that template lives on: a test pointed at another server (the
 * failover test's Patroni cluster) migrates its database there instead of copying. */
export const TEMPLATE_SERVER_ENV = 'OPENTSP_TEST_TEMPLATE_SERVER';

/** `host:port` of a connection string. */
export function serverOf(url: string): string {
  return new URL(url).host;
}

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
 *
 * Migrated databases are copies of the run's template (global-setup.ts): `CREATE DATABASE …
 * TEMPLATE` copies the schema, the job queue's schema and every grant and policy the
 * migration gave the service role, in a fraction of the time the migrations take. Roles are
 * cluster-wide, so the service role the template's migration created is the copy's too; the
 * one per-database grant that lives outside the database (CONNECT) is given again. Risk rules
 * and keys are not in the template: a TSP seeds them on its first start, as in production.
 */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `opentsp_test_${randomBytes(6).toString('hex')}`;
  const migrate = options.migrate !== false;
  const onTemplateServer = process.env[TEMPLATE_SERVER_ENV] === serverOf(serverUrl());
  const template = migrate && onTemplateServer ? process.env[TEMPLATE_DATABASE_ENV] : undefined;
  await admin(async (client) => {
    await client.query(template ? `CREATE DATABASE ${name} TEMPLATE ${template}` : `CREATE DATABASE ${name}`);
    if (template) await client.query(`GRANT CONNECT ON DATABASE ${name} TO ${DEFAULT_SERVICE_ROLE}`);
  });
  const url = withDatabase(serverUrl(), name);
  const owner = openDatabase({ connectionString: url, poolSize: migrate ? 2 : 5 });
  const service = !migrate ? { database: owner, url } : template ? await openCopiedServiceDatabase(url) : await openServiceDatabase({ url, poolSize: 5 });
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

/**
 * The service role's pool on a copy of the migrated template: what `openServiceDatabase`
 * ends with, without migrating again. Its guard runs as in production (the service refuses a
 * role that could rewrite the audit log). If the role's password no longer matches (another
 * run on this cluster reset it under another owner URL), the production path resets it.
 */
async function openCopiedServiceDatabase(url: string): Promise<{ database: DatabaseHandle; url: string }> {
  const serviceUrl = withCredentials(url, DEFAULT_SERVICE_ROLE, derivedServicePassword(url));
  const database = openDatabase({ connectionString: serviceUrl, poolSize: 5 });
  try {
    await assertRestrictedServiceRole(database.db);
    return { database, url: serviceUrl };
  } catch (err) {
    await database.close();
    if ((err as { code?: string }).code !== '28P01') throw err;
    return openServiceDatabase({ url, poolSize: 5 });
  }
}

/**
 * Creates and migrates this run's template database (global setup). Every connection to it
 * is closed afterwards: `CREATE DATABASE … TEMPLATE` refuses a template anyone is connected to.
 */
export async function createTemplateDatabase(name: string): Promise<void> {
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const { database } = await openServiceDatabase({ url: withDatabase(serverUrl(), name), poolSize: 1 });
  await database.close();
}

/** Drops the template (global teardown). */
export async function dropTemplateDatabase(name: string): Promise<void> {
  await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}
