import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Express } from 'express';
import { loadConfig, type Config } from '../../services/tsp/src/config';
import { closeServices, createServices, type Services } from '../../services/tsp/src/compose';
import type { ServiceContext } from '../../services/tsp/src/context';
import { createApp } from '../../services/tsp/src/http/app';
import { createLogger, type Logger } from '../../services/tsp/src/observability/logger';
import { createMetrics } from '../../services/tsp/src/observability/metrics';
import { createHttpServer } from '../../services/tsp/src/server';
import { openDatabase, type DatabaseHandle } from '../../services/tsp/src/store/database';
import { createTestDatabase, type TestDatabase } from './test-database';
import { assertNoCardDataInLogs } from './leak-scan';
import { startTcpProxy, viaProxy, type TcpProxy } from './tcp-proxy';

/** Every log line the app under test wrote, as raw text (what an operator's log store gets). */
export class CapturedLogs {
  readonly lines: string[] = [];
  readonly stream = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  text(): string {
    return this.lines.join('\n');
  }
}

export interface TestTsp {
  app: Express;
  /** Base URL of the app listening on 127.0.0.1 (random port). */
  url: string;
  /** The test's own database (a direct handle, never through the proxy). */
  db: TestDatabase;
  /** The pool the TSP runs on: `db`, or its pool through the proxy (`databaseProxy`). */
  database: DatabaseHandle;
  /** The TCP proxy between the TSP and Postgres (only with `databaseProxy`). */
  proxy?: TcpProxy;
  logs: CapturedLogs;
  logger: Logger;
  config: Config;
  services: Services;
  ctx: ServiceContext;
  close(): Promise<void>;
}

export interface TestTspOptions {
  /** Moves the service's calendar (token expiry, budgets) without waiting. */
  clock?: () => Date;
  /**
   * Puts a TCP proxy (tcp-proxy.ts) between the TSP and Postgres, so a test can cut this
   * TSP's database (`tsp.proxy.mode('refuse')`) while the shared server keeps running. The
   * TSP's pool connects through it as the restricted service role, with these timeouts.
   */
  databaseProxy?: { connectionTimeoutMs?: number; queryTimeoutMs?: number };
  /**
   * Serves through the production `createHttpServer` (its slow-client timeouts) instead of
   * `app.listen`.
   */
  productionServer?: boolean;
}

/** A TSP whose database goes through the test's TCP proxy (`databaseProxy`). */
export type ProxiedTsp = TestTsp & { proxy: TcpProxy };

/**
 * The TSP app on its own fresh database, listening on a random local port, with its logs
 * captured. Use one per test file (beforeAll / afterAll). `close()` stops the server, closes
 * the services (background work, listeners, pools), scans the logs and the database for card
 * data, and drops the database.
 */
export async function startTestTsp(env: Record<string, string>, options: TestTspOptions & { databaseProxy: NonNullable<TestTspOptions['databaseProxy']> }): Promise<ProxiedTsp>;
export async function startTestTsp(env?: Record<string, string>, options?: TestTspOptions): Promise<TestTsp>;
export async function startTestTsp(env: Record<string, string> = {}, options: TestTspOptions = {}): Promise<TestTsp> {
  const db = await createTestDatabase();
  let proxy: TcpProxy | undefined;
  let database: DatabaseHandle = db;
  if (options.databaseProxy) {
    const target = new URL(db.serviceUrl);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    database = openDatabase({
      connectionString: viaProxy(db.serviceUrl, proxy),
      poolSize: 10,
      connectionTimeoutMs: options.databaseProxy.connectionTimeoutMs ?? 2_000,
      queryTimeoutMs: options.databaseProxy.queryTimeoutMs,
    });
  }
  // Each app gets its own sandbox keystore (vault keys), so test files never share key state.
  const keysDir = mkdtempSync(path.join(tmpdir(), 'opentsp-keys-'));
  const config = loadConfig(
    { OPENTSP_MODE: 'sandbox', LOG_LEVEL: 'debug', OPENTSP_VALIDATE_RESPONSES: 'true', OPENTSP_KEYSTORE_PATH: path.join(keysDir, 'keystore.jwe'), ...env },
    { databaseUrl: db.url, port: 0 },
  );
  const logs = new CapturedLogs();
  const logger = createLogger({ level: config.logLevel, destination: logs.stream });
  const ctx: ServiceContext = { config, logger, database, metrics: createMetrics(), ...(options.clock ? { clock: options.clock } : {}) };
  const services = await createServices(ctx);
  const app = createApp({ ...ctx, services });
  const server: Server = options.productionServer ? createHttpServer(app, config) : createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    db,
    database,
    ...(proxy ? { proxy } : {}),
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
      await closeServices(services);
      if (database !== db) await database.close();
      await proxy?.close();
      try {
        await assertNoCardDataInLogs(logs.text(), process.env.JEST_WORKER_ID ? `jest worker ${process.env.JEST_WORKER_ID}` : 'startTestTsp', db.pool);
      } finally {
        await db.drop();
        rmSync(keysDir, { recursive: true, force: true });
      }
    },
  };
}
