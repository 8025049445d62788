import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
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
import { createTestDatabase, type TestDatabase } from './test-database';
import { assertNoCardDataInLogs } from './leak-scan';

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
  db: TestDatabase;
  logs: CapturedLogs;
  logger: Logger;
  config: Config;
  services: Services;
  ctx: ServiceContext;
  close(): Promise<void>;
}

/**
 * The TSP app on its own fresh database, listening on a random local port, with its logs
 * captured. Use one per test file (beforeAll / afterAll). `options.clock` moves the service's
 * calendar (token expiry) without waiting.
 */
export async function startTestTsp(env: Record<string, string> = {}, options: { clock?: () => Date } = {}): Promise<TestTsp> {
  const db = await createTestDatabase();
  // Each app gets its own sandbox keystore (vault keys), so test files never share key state.
  const keysDir = mkdtempSync(path.join(tmpdir(), 'opentsp-keys-'));
  const config = loadConfig(
    { OPENTSP_MODE: 'sandbox', LOG_LEVEL: 'debug', OPENTSP_VALIDATE_RESPONSES: 'true', OPENTSP_KEYSTORE_PATH: path.join(keysDir, 'keystore.jwe'), ...env },
    { databaseUrl: db.url, port: 0 },
  );
  const logs = new CapturedLogs();
  const logger = createLogger({ level: config.logLevel, destination: logs.stream });
  const ctx: ServiceContext = { config, logger, database: db, metrics: createMetrics(), ...(options.clock ? { clock: options.clock } : {}) };
  const services = await createServices(ctx);
  const app = createApp({ ...ctx, services });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    db,
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
      try {
        await assertNoCardDataInLogs(logs.text(), process.env.JEST_WORKER_ID ? `jest worker ${process.env.JEST_WORKER_ID}` : 'startTestTsp', db.pool);
      } finally {
        await db.drop();
        rmSync(keysDir, { recursive: true, force: true });
      }
    },
  };
}
