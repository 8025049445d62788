import path from 'node:path';
import { startEmbeddedPostgres } from '../../services/tsp/src/store/embedded-postgres';
import { createTemplateDatabase, serverOf, TEMPLATE_DATABASE_ENV, TEMPLATE_SERVER_ENV } from './test-database';
import { ensureTspBuild } from './tsp-build';

/**
 * Once per jest run, before any test file:
 * - a real Postgres: the server at DATABASE_URL when set (CI, developers with a local
 *   Postgres), otherwise an embedded one started for the run and deleted afterwards;
 * - the run's template database, migrated once: each test file's database is a copy of it
 *   (test-database.ts), instead of ~60 files each running every migration;
 * - the compiled TSP in services/tsp/dist, rebuilt when any of its sources changed
 *   (tsp-build.ts): the CLI and server processes tests spawn run it with plain node.
 * Workers inherit the environment set here.
 */
export default async function globalSetup(): Promise<void> {
  await Promise.all([ensureTspBuild(), startDatabase()]);
}

async function startDatabase(): Promise<void> {
  if (!process.env.DATABASE_URL) {
    const embedded = await startEmbeddedPostgres({
      dataDir: path.resolve(__dirname, '..', '..', '.data', `test-postgres-${process.pid}`),
      persistent: false,
    });
    process.env.DATABASE_URL = embedded.url;
    (globalThis as { __opentspEmbeddedPostgres?: typeof embedded }).__opentspEmbeddedPostgres = embedded;
  }
  const template = `opentsp_template_${process.pid}`;
  await createTemplateDatabase(template);
  process.env[TEMPLATE_DATABASE_ENV] = template;
  process.env[TEMPLATE_SERVER_ENV] = serverOf(process.env.DATABASE_URL!);
}
