import type { Command } from 'commander';
import { createAuditLog } from '../../audit/audit-log';
import { ConfigError, loadConfig } from '../../config';
import type { ServiceContext } from '../../context';
import { createVaultServices, type VaultServices } from '../../vault';
import { initKeystore, keystorePathOf, openConfiguredKeyProvider } from '../../vault/configured-key-provider';
import { withServiceContext } from '../cli-context';

interface KeysOptions {
  sandbox?: boolean;
}

const CLI_ACTOR = { type: 'cli' as const };

async function withVault<T>(options: KeysOptions, work: (vault: VaultServices, ctx: ServiceContext) => Promise<T>): Promise<T> {
  return withServiceContext(options, async (ctx) => {
    const provider = await openConfiguredKeyProvider(ctx.config, ctx.logger);
    const audit = createAuditLog(ctx.database.db, ctx.logger, await provider.auditChainKey());
    const result = await work(await createVaultServices(ctx, audit, provider), ctx);
    await audit.flush();
    return result;
  });
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * `opentsp keys …`: the vault's keys (docs/operations.md, docs/security.md).
 * - `init` creates the production keystore (OPENTSP_KEYSTORE_PATH, OPENTSP_KEYSTORE_PASSPHRASE);
 * - `rotate` starts a KEK rotation and, unless `--no-wait`, re-wraps every data key and
 *   retires the old version before returning (running servers keep serving meanwhile);
 * - `status` prints KEK versions, data-key counts and the last rotation;
 * - `rotate-jwks` makes new TSP JOSE keys current (old ones stay published for the grace period).
 */
export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('vault key management: KEK rotation, status, the TSP key ring');

  keys
    .command('init')
    .description('create the vault keystore at OPENTSP_KEYSTORE_PATH, sealed with OPENTSP_KEYSTORE_PASSPHRASE')
    .action(async () => {
      const config = loadConfig(process.env, { databaseUrl: process.env.DATABASE_URL ?? 'postgres://unused' });
      if (!config.keystorePath || !config.keystorePassphrase) {
        throw new ConfigError('set OPENTSP_KEYSTORE_PATH and OPENTSP_KEYSTORE_PASSPHRASE to create a keystore');
      }
      const created = await initKeystore(keystorePathOf(config), config.keystorePassphrase);
      if (!created) throw new ConfigError(`a keystore already exists at ${config.keystorePath}; it was not changed`);
      process.stdout.write(`keystore created at ${config.keystorePath} (KEK version 1, PAN-hash key); back it up with its passphrase\n`);
    });

  keys
    .command('rotate')
    .description('start a KEK rotation; by default also re-wrap every data key and retire the old version before exiting')
    .option('--sandbox', 'use the embedded sandbox Postgres when DATABASE_URL is unset')
    .option('--no-wait', 'only start the rotation; running servers re-wrap in the background')
    .action(async (options: KeysOptions & { wait: boolean }) => {
      await withVault(options, async (vault) => {
        const rotation = await vault.keys.rotate(CLI_ACTOR);
        print(options.wait ? await vault.keys.drain() : { rotation });
      });
    });

  keys
    .command('status')
    .description('KEK versions with their data-key counts, and the current or last rotation')
    .option('--sandbox', 'use the embedded sandbox Postgres when DATABASE_URL is unset')
    .action(async (options: KeysOptions) => {
      print(await withVault(options, (vault) => vault.keys.status()));
    });

  keys
    .command('rotate-jwks')
    .description('new current TSP signing and encryption keys (/.well-known/jwks.json); old ones stay published for the grace period')
    .option('--sandbox', 'use the embedded sandbox Postgres when DATABASE_URL is unset')
    .action(async (options: KeysOptions) => {
      print(await withVault(options, (vault) => vault.keys.rotateTspKeys(CLI_ACTOR)));
    });
}
