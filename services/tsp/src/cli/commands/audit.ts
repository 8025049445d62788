import type { Command } from 'commander';
import { createAuditLog } from '../../audit/audit-log';
import { withServiceContext } from '../cli-context';

/** `opentsp audit verify`: proves the audit log's hash chain (PCI DSS 4.0 req. 10.3.4). */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the hash-chained audit log');
  audit
    .command('verify')
    .description('recompute the hash chain; exit 1 and name the first broken entry if it does not verify')
    .option('--sandbox', 'use the embedded sandbox Postgres when DATABASE_URL is unset')
    .option('--from <seq>', 'first entry to check', (v) => Number.parseInt(v, 10))
    .option('--to <seq>', 'last entry to check', (v) => Number.parseInt(v, 10))
    .action(async (options: { sandbox?: boolean; from?: number; to?: number }) => {
      const result = await withServiceContext(options, (ctx) =>
        createAuditLog(ctx.database.db, ctx.logger).verify({ fromSeq: options.from, toSeq: options.to }),
      );
      if (result.ok) {
        process.stdout.write(`audit chain OK: ${result.entriesChecked} entries checked, head ${result.headHash ?? '(empty)'}\n`);
      } else {
        process.stdout.write(
          `audit chain BROKEN at entry ${result.firstBrokenSeq} (${result.entriesChecked} entries verified before it)\n`,
        );
        process.exitCode = 1;
      }
    });
}
