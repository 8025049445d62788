import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanEnv, runOpentsp } from '../../../../test/support/cli';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';

describe('opentsp keys', () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(path.join(tmpdir(), 'opentsp-keys-cli-'));
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a production keystore once, rotates the KEK to completion and reports the status', async () => {
    const env = cleanEnv({
      DATABASE_URL: db.url,
      LOG_LEVEL: 'warn',
      OPENTSP_KEYSTORE_PATH: path.join(dir, 'keystore.jwe'),
      OPENTSP_KEYSTORE_PASSPHRASE: 'an operator passphrase of some length',
      OPENTSP_BIN_CONTROLLER_ID: 'T401',
    });
    const init = await runOpentsp(['keys', 'init'], env);
    expect(init).toMatchObject({ code: 0, stderr: '' });
    expect(init.stdout).toMatch(/keystore created/);
    const again = await runOpentsp(['keys', 'init'], env);
    expect(again.code).toBe(78);
    expect(again.stderr).toMatch(/already exists/);

    const rotate = await runOpentsp(['keys', 'rotate'], env);
    expect(rotate.stderr).toBe('');
    expect(rotate.code).toBe(0);
    const status = JSON.parse(rotate.stdout) as { keks: Array<{ version: number; status: string }>; rotation: { status: string } };
    expect(status.keks.map((k) => [k.version, k.status])).toEqual([
      [2, 'active'],
      [1, 'retired'],
    ]);
    expect(status.rotation.status).toBe('completed');

    const shown = await runOpentsp(['keys', 'status'], env);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual(status);
    expect(shown.stdout).not.toMatch(/"k"|passphrase/);
  }, 90_000);

  it('refuses to run without keys in production mode, with exit code 78 and the fix', async () => {
    const result = await runOpentsp(['keys', 'status'], cleanEnv({ DATABASE_URL: db.url, LOG_LEVEL: 'warn', OPENTSP_BIN_CONTROLLER_ID: 'T401' }));
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/configuration error: the vault needs its keys: set OPENTSP_KEYSTORE_PATH/);
  }, 60_000);
});
