#!/usr/bin/env node
// First: tracing must patch http, express, pg and pino before anything loads them.
import '../observability/tracing-preload';
import { Command } from 'commander';
import { ConfigError, loadConfig } from '../config';
import { createLogger } from '../observability/logger';
import { openServiceDatabase } from '../store/service-database';
import { resolveDatabaseUrl } from '../server';
import { EmbeddedPostgresError } from '../store/postgres-process';
import { registerAuditCommands } from './commands/audit';
import { registerServeCommand } from './commands/serve';
import { registerKeysCommands } from './commands/keys';
import { registerRegistryCommands } from './commands/registry';
import { registerDevCommands } from './commands/dev';

/**
 * `opentsp`: the operator's command line. Each command reads the same configuration as the
 * service (environment variables; see docs/operations.md).
 */
const program = new Command()
  .name('opentsp')
  .description('OpenTSP token service provider')
  .showHelpAfterError();

program
  .command('migrate')
  .description('apply database migrations and exit')
  .option('--sandbox', 'use the embedded sandbox Postgres when DATABASE_URL is unset')
  .action(async (options: { sandbox?: boolean }) => {
    const config = loadConfig(process.env, options.sandbox ? { mode: 'sandbox' } : {});
    const logger = createLogger({ level: config.logLevel });
    const { url, embedded } = await resolveDatabaseUrl(config, logger);
    try {
      // Migrates as the owner and grants the service role its rights (checked by connecting as it).
      const { database, applied } = await openServiceDatabase({ url, ownerUrl: config.databaseOwnerUrl, poolSize: 1 });
      await database.close();
      process.stdout.write(
        applied.length ? `applied: ${applied.map((m) => m.migrationName).join(', ')}\n` : 'database is up to date\n',
      );
    } finally {
      await embedded?.stop();
    }
  });

registerServeCommand(program);
registerAuditCommands(program);
registerKeysCommands(program);
registerRegistryCommands(program);
registerDevCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`opentsp: configuration error: ${err.message}\n`);
    process.exit(78); // EX_CONFIG
  }
  if (err instanceof EmbeddedPostgresError) {
    process.stderr.write(`opentsp: ${err.message}\n`);
    process.exit(78); // EX_CONFIG: the machine, not the program, is what needs changing
  }
  process.stderr.write(`opentsp: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
