import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, type Config } from '../config';
import type { Logger } from '../observability/logger';
import type { KeyProvider } from './key-provider';
import { KeystoreFileProvider } from './keystore-file-provider';

const SANDBOX_ITERATIONS = 1_000;

/** Where the keystore lives: `OPENTSP_KEYSTORE_PATH`, else `<dataDir>/keystore.jwe` (sandbox). */
export function keystorePathOf(config: Config): string {
  return config.keystorePath ?? path.join(config.dataDir, 'keystore.jwe');
}

/**
 * Opens the configured key provider.
 *
 * - Outside sandbox mode the keystore must exist and `OPENTSP_KEYSTORE_PASSPHRASE` must open
 *   it; otherwise start-up stops with a `ConfigError` naming the fix (`opentsp keys init`).
 *   There are no default keys in production.
 * - In sandbox mode a missing keystore is generated (with a random passphrase kept beside it,
 *   mode 0600, unless one is configured), with a loud warning: such keys protect nothing.
 */
export async function openConfiguredKeyProvider(config: Config, logger: Logger): Promise<KeyProvider> {
  const file = keystorePathOf(config);
  if (config.mode !== 'sandbox') {
    if (!config.keystorePassphrase || !config.keystorePath || !existsSync(file)) {
      throw new ConfigError(
        'the vault needs its keys: set OPENTSP_KEYSTORE_PATH to an existing keystore and OPENTSP_KEYSTORE_PASSPHRASE to its passphrase ' +
          '(create one with `opentsp keys init`), or run with --sandbox for generated sandbox keys',
      );
    }
    try {
      return await KeystoreFileProvider.open({ path: file, passphrase: config.keystorePassphrase });
    } catch (err) {
      throw new ConfigError(err instanceof Error ? err.message : 'the keystore cannot be opened');
    }
  }
  const passphrase = config.keystorePassphrase ?? (await sandboxPassphrase(`${file}.passphrase`));
  // PBKDF2 stretches human passphrases; a generated 256-bit one needs no stretching, so the
  // sandbox (and every test) skips the quarter-second cost.
  const iterations = config.keystorePassphrase ? undefined : SANDBOX_ITERATIONS;
  const options = { path: file, passphrase, ...(iterations ? { iterations } : {}) };
  if (existsSync(file)) return KeystoreFileProvider.open(options);
  const { provider, created } = await KeystoreFileProvider.create(options);
  if (created) {
    logger.warn(
      { keystore: file },
      'SANDBOX KEYS GENERATED: a new vault keystore was created with a passphrase stored beside it. ' +
        'It protects nothing; never put real card data in this TSP. Production needs OPENTSP_KEYSTORE_PATH and OPENTSP_KEYSTORE_PASSPHRASE.',
    );
  }
  return provider;
}

/** Creates a keystore for production (`opentsp keys init`); refuses to overwrite one. */
export async function initKeystore(file: string, passphrase: string): Promise<boolean> {
  if (passphrase.length < 16) throw new ConfigError('OPENTSP_KEYSTORE_PASSPHRASE must be at least 16 characters');
  const { created } = await KeystoreFileProvider.create({ path: file, passphrase });
  return created;
}

// The sandbox passphrase: read, or created once (first writer wins, like the keystore).
async function sandboxPassphrase(file: string): Promise<string> {
  if (!existsSync(file)) {
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, randomBytes(32).toString('base64url'), { mode: 0o600 });
    try {
      await link(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await rm(tmp, { force: true });
    }
  }
  return (await readFile(file, 'utf8')).trim();
}
