import path from 'node:path';
import { startEmbeddedPostgres } from '../../services/tsp/src/store/embedded-postgres';

/**
 * Gives every test a real Postgres: the server at DATABASE_URL when set (CI, developers with
 * a local Postgres), otherwise an embedded one started once for the whole run and deleted
 * afterwards. Each test file then creates its own database on it (see test-database.ts).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) return;
  const embedded = await startEmbeddedPostgres({
    dataDir: path.resolve(__dirname, '..', '..', '.data', `test-postgres-${process.pid}`),
    persistent: false,
  });
  process.env.DATABASE_URL = embedded.url;
  (globalThis as { __opentspEmbeddedPostgres?: typeof embedded }).__opentspEmbeddedPostgres = embedded;
}
