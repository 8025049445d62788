import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { createAuditCheckpoints, type AuditCheckpoints } from '../../audit/audit-checkpoints';
import { createAuditLog } from '../../audit/audit-log';
import type { ServiceContext } from '../../context';
import { createVaultServices } from '../../vault';
import { openConfiguredKeyProvider } from '../../vault/configured-key-provider';
import { withServiceContext } from '../cli-context';

/** The audit log with its chain key and the TSP key ring, both from the vault's keystore. */
async function checkpointsOf(ctx: ServiceContext): Promise<AuditCheckpoints> {
  const provider = await openConfiguredKeyProvider(ctx.config, ctx.logger);
  const audit = createAuditLog(ctx.database.db, ctx.logger, await provider.auditChainKey());
  const vault = await createVaultServices(ctx, audit, provider);
  return createAuditCheckpoints(ctx.database.db, audit, vault.keyRing, ctx.logger, { file: ctx.config.audit.checkpointFile });
}

/**
 * `opentsp audit verify | checkpoint`: proves the keyed audit chain against its signed
 * checkpoints, and writes a checkpoint on demand (PCI DSS 4.0 req. 10.3.2, 10.3.4).
 * Both need the vault keystore (OPENTSP_KEYSTORE_PATH and _PASSPHRASE, or --sandbox).
 */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the keyed, hash-chained audit log and its signed checkpoints');
  audit
    .command('verify')
    .description('recompute the keyed chain and check it against every signed checkpoint; exit 1 and name the first broken entry if it does not verify')
    .option('--sandbox', 'use the embedded sandbox Postgres when DATABASE_URL is unset')
    .option('--from <seq>', 'first entry to check', (v) => Number.parseInt(v, 10))
    .option('--to <seq>', 'last entry to check', (v) => Number.parseInt(v, 10))
    .option('--checkpoints <file>', 'also check against the checkpoints in this file (kept outside the database)')
    .action(async (options: { sandbox?: boolean; from?: number; to?: number; checkpoints?: string }) => {
      const checkpointFile = options.checkpoints ? path.resolve(options.checkpoints) : undefined;
      const result = await withServiceContext(options, async (ctx) =>
        (await checkpointsOf(ctx)).verify({ fromSeq: options.from, toSeq: options.to, checkpointFile }),
      );
      if (result.ok) {
        process.stdout.write(
          `audit chain OK: ${result.entriesChecked} entries checked, ${result.checkpointsChecked} signed checkpoint${result.checkpointsChecked === 1 ? '' : 's'} matched, head ${result.headHash ?? '(empty)'}\n`,
        );
      } else {
        process.stdout.write(
          `audit chain BROKEN at entry ${result.firstBrokenSeq ?? '?'} (${result.reason}; ${result.entriesChecked} entries verified before it)\n`,
        );
        process.exitCode = 1;
      }
    });
  audit
    .command('checkpoint')
    .description('sign the chain head now and store the checkpoint; print it, or append it to --out')
    .option('--sandbox', 'use the embedded sandbox Postgres when DATABASE_URL is unset')
    .option('--out <file>', 'append the checkpoint as a JSON line to this file (keep it outside the database)')
    .action(async (options: { sandbox?: boolean; out?: string }) => {
      const checkpoint = await withServiceContext(options, async (ctx) => (await checkpointsOf(ctx)).create());
      const line = JSON.stringify(checkpoint);
      if (options.out) await appendFile(path.resolve(options.out), `${line}\n`, { mode: 0o600 });
      else process.stdout.write(`${line}\n`);
    });
}
