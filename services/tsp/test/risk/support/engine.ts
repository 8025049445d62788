import { Writable } from 'node:stream';
import { createAuditLog, type AuditLog } from '../../../src/audit/audit-log';
import { loadConfig } from '../../../src/config';
import type { ServiceContext } from '../../../src/context';
import { createLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { createRiskServices, type RiskServices } from '../../../src/risk';
import type { DatabaseHandle } from '../../../src/store/database';
import { unitOfWork, type UnitOfWork } from '../../../src/store/transaction';

export interface RiskEngineUnderTest {
  risk: RiskServices;
  audit: AuditLog;
  uow: UnitOfWork;
  /** Every log line written, raw. */
  logs: string[];
}

/**
 * The risk services alone on `database` — one "TSP process" — with logs captured (without the
 * whole app, so engine tests stay fast).
 */
export async function startRiskEngine(database: DatabaseHandle & { url: string }): Promise<RiskEngineUnderTest> {
  const config = loadConfig({ OPENTSP_MODE: 'sandbox', LOG_LEVEL: 'debug' }, { databaseUrl: database.url, port: 0 });
  const logs: string[] = [];
  const destination = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  const ctx: ServiceContext = { config, logger, database, metrics: createMetrics() };
  const audit = createAuditLog(database.db, logger);
  return { risk: await createRiskServices(ctx, audit), audit, uow: unitOfWork(database.db), logs };
}
