import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import { createLogger } from '../../src/observability/logger';
import type { ServiceContext } from '../../src/context';
import { createMetrics } from '../../src/observability/metrics';
import { createVaultServices } from '../../src/vault';
import { openConfiguredKeyProvider } from '../../src/vault/configured-key-provider';
import { KeystoreFileProvider } from '../../src/vault/keystore-file-provider';
import { VaultError } from '../../src/vault/vault-error';
import { CapturedLogs } from '../../../../test/support/tsp-harness';

describe('the keystore-file key provider', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'opentsp-keystore-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const production = (env: Record<string, string> = {}) => loadConfig({ DATABASE_URL: 'postgres://localhost/x', ...env });
  const silent = createLogger({ level: 'silent' });

  it.each([
    ['no keystore settings', {}],
    ['a passphrase but no path', { OPENTSP_KEYSTORE_PASSPHRASE: 'correct horse battery staple' }],
    ['a path to a missing file', { OPENTSP_KEYSTORE_PASSPHRASE: 'correct horse battery staple', OPENTSP_KEYSTORE_PATH: '/nonexistent/keystore.jwe' }],
  ])('refuses to start in production mode with %s, naming the fix', async (_case, env) => {
    const error = await openConfiguredKeyProvider(production(env), silent).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/OPENTSP_KEYSTORE_PATH.*OPENTSP_KEYSTORE_PASSPHRASE.*opentsp keys init/);
  });

  it('refuses to start in production mode without a BIN controller id for PARs', async () => {
    const ctx = { config: production(), logger: silent, metrics: createMetrics(), database: { db: undefined } } as unknown as ServiceContext;
    const error = await createVaultServices(ctx, undefined as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/OPENTSP_BIN_CONTROLLER_ID/);
  });

  it('refuses a keystore that does not open with the configured passphrase', async () => {
    const file = path.join(dir, 'keystore.jwe');
    await KeystoreFileProvider.create({ path: file, passphrase: 'the right passphrase!', iterations: 1_000 });
    const error = await openConfiguredKeyProvider(production({ OPENTSP_KEYSTORE_PATH: file, OPENTSP_KEYSTORE_PASSPHRASE: 'a wrong passphrase!!' }), silent).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/does not open with OPENTSP_KEYSTORE_PASSPHRASE/);
  });

  it('opens a production keystore with its passphrase', async () => {
    const file = path.join(dir, 'keystore.jwe');
    await KeystoreFileProvider.create({ path: file, passphrase: 'the right passphrase!', iterations: 1_000 });
    const provider = await openConfiguredKeyProvider(production({ OPENTSP_KEYSTORE_PATH: file, OPENTSP_KEYSTORE_PASSPHRASE: 'the right passphrase!' }), silent);
    expect(await provider.hasKek(1)).toBe(true);
  });

  it('generates a sandbox keystore with a loud warning, mode 0600, holding no key in clear', async () => {
    const logs = new CapturedLogs();
    const config = loadConfig({ OPENTSP_MODE: 'sandbox', OPENTSP_DATA_DIR: dir });
    const provider = await openConfiguredKeyProvider(config, createLogger({ level: 'info', destination: logs.stream }));
    expect(logs.text()).toMatch(/SANDBOX KEYS GENERATED/);
    const file = path.join(dir, 'keystore.jwe');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    // A second start opens the same keys, without a warning.
    const again = await openConfiguredKeyProvider(config, createLogger({ level: 'silent' }));
    expect(await again.panHashKey()).toEqual(await provider.panHashKey());
  });

  it('wraps under a version and refuses to unwrap under another version, another AAD or a tampered key', async () => {
    const { provider } = await KeystoreFileProvider.create({ path: path.join(dir, 'k.jwe'), passphrase: 'p'.repeat(20), iterations: 1_000 });
    await provider.createKek(2);
    const dek = Buffer.alloc(32, 9);
    const wrapped = await provider.wrap(1, dek, Buffer.from('aad'));
    expect(await provider.unwrap(1, wrapped, Buffer.from('aad'))).toEqual(dek);
    const tampered = Buffer.from(wrapped);
    tampered[14] = (tampered[14] as number) ^ 1;
    for (const attempt of [
      provider.unwrap(2, wrapped, Buffer.from('aad')),
      provider.unwrap(1, wrapped, Buffer.from('aae')),
      provider.unwrap(1, tampered, Buffer.from('aad')),
      provider.unwrap(7, wrapped, Buffer.from('aad')),
    ]) {
      await expect(attempt).rejects.toThrow(VaultError);
    }
  });

  it('lets another process on the same file learn a new KEK version', async () => {
    const file = path.join(dir, 'shared.jwe');
    const { provider: first } = await KeystoreFileProvider.create({ path: file, passphrase: 'p'.repeat(20), iterations: 1_000 });
    const second = await KeystoreFileProvider.open({ path: file, passphrase: 'p'.repeat(20) });
    await first.createKek(2);
    const wrapped = await second.wrap(2, Buffer.alloc(32, 1), Buffer.from('x')); // reloads the file
    expect(await first.unwrap(2, wrapped, Buffer.from('x'))).toEqual(Buffer.alloc(32, 1));
  });
});
