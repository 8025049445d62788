import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../services/tsp/src/config';
import { createServices } from '../../../services/tsp/src/compose';
import type { ServiceContext } from '../../../services/tsp/src/context';
import { createApp } from '../../../services/tsp/src/http/app';
import { createLogger } from '../../../services/tsp/src/observability/logger';
import { createMetrics } from '../../../services/tsp/src/observability/metrics';
import { openDatabase, type DatabaseHandle } from '../../../services/tsp/src/store/database';
import { createHttpServer } from '../../../services/tsp/src/server';
import { CapturedLogs, type TestTsp } from '../../support/tsp-harness';
import { startTcpProxy, viaProxy, type TcpProxy } from '../../support/tcp-proxy';
import { createTestDatabase } from '../../support/test-database';
import { assertNoCardDataInLogs } from '../../support/leak-scan';

export interface ProxiedTsp extends TestTsp {
  proxy: TcpProxy;
  /** The TSP's own pool (through the proxy); `db` is a direct handle for the test. */
  database: DatabaseHandle;
}

/**
 * A TSP whose only way to Postgres is a TCP proxy the test controls, served by the production
 * `createHttpServer` (real slow-client timeouts). The shared Postgres server is never stopped:
 * only this TSP's connections are cut.
 */
export async function startProxiedTsp(env: Record<string, string> = {}, pool: { connectionTimeoutMs?: number; queryTimeoutMs?: number } = {}): Promise<ProxiedTsp> {
  const db = await createTestDatabase();
  const target = new URL(db.url);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const database = openDatabase({ connectionString: viaProxy(db.url, proxy), poolSize: 10, connectionTimeoutMs: pool.connectionTimeoutMs ?? 2_000, queryTimeoutMs: pool.queryTimeoutMs });
  const keysDir = mkdtempSync(path.join(tmpdir(), 'opentsp-keys-'));
  const config = loadConfig(
    { OPENTSP_MODE: 'sandbox', LOG_LEVEL: 'debug', OPENTSP_VALIDATE_RESPONSES: 'true', OPENTSP_KEYSTORE_PATH: path.join(keysDir, 'keystore.jwe'), ...env },
    { databaseUrl: db.url, port: 0 },
  );
  const logs = new CapturedLogs();
  const logger = createLogger({ level: config.logLevel, destination: logs.stream });
  const ctx: ServiceContext = { config, logger, database, metrics: createMetrics() };
  const services = await createServices(ctx);
  const app = createApp({ ...ctx, services });
  const server: Server = createHttpServer(app, config);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    db,
    database,
    proxy,
    logs,
    logger,
    config,
    services,
    ctx,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await database.close();
      await proxy.close();
      try {
        await assertNoCardDataInLogs(logs.text(), 'proxied-tsp', db.pool);
      } finally {
        await db.drop();
      }
      rmSync(keysDir, { recursive: true, force: true });
    },
  };
}
