import { loadConfig, type Config } from '../config';
import { createLogger, type Logger } from '../observability/logger';
import { createMetrics } from '../observability/metrics';
import { openServiceDatabase } from '../store/service-database';
import { resolveDatabaseUrl } from '../server';
import type { ServiceContext } from '../context';

export interface DatabaseOptions {
  sandbox?: boolean;
}

/**
 * Runs a CLI command against the configured database (migrated to the latest schema), then
 * closes everything, including an embedded sandbox Postgres.
 */
export async function withServiceContext<T>(
  options: DatabaseOptions,
  work: (ctx: ServiceContext) => Promise<T>,
): Promise<T> {
  const config: Config = loadConfig(process.env, options.sandbox ? { mode: 'sandbox' } : {});
  const logger: Logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });
  const { url, embedded } = await resolveDatabaseUrl(config, logger);
  try {
    // As the service role, like the service: a CLI command cannot rewrite the audit log either.
    const { database } = await openServiceDatabase({ url, ownerUrl: config.databaseOwnerUrl, poolSize: 2 });
    try {
      return await work({ config, database, logger, metrics: createMetrics() });
    } finally {
      await database.close();
    }
  } finally {
    await embedded?.stop();
  }
}
