import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanEnv, runOpentsp, spawnOpentsp, TSP_DIR, waitForLogLine } from '../../../../test/support/cli';

/*
 * Issue 16: when the embedded Postgres cannot start, the README's first command ends with one
 * sentence saying why and what to do, and exit code 78 (EX_CONFIG) — never a stack trace or an
 * unhandled 'error' event.
 */
describe('opentsp serve --sandbox when the embedded Postgres cannot start', () => {
  const dataRoot = path.join(TSP_DIR, '..', '..', '.data');
  mkdirSync(dataRoot, { recursive: true });
  // Under the system's temporary folder, not the checkout: a checkout under root's 0700 home is
  // out of the postgres user's reach wherever its data folder is, and a new cluster would be
  // placed elsewhere and start. Opened to the postgres user (as root), so the broken one is used.
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'opentsp-broken-postgres-'));
  chmodSync(dataDir, 0o755);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('says in one sentence what went wrong and exits 78', async () => {
    // A cluster folder that claims to be initialised but holds no database.
    const postgresDir = path.join(dataDir, 'postgres');
    mkdirSync(postgresDir, { mode: 0o755 });
    mkdirSync(path.join(postgresDir, 'cluster'), { mode: 0o700 });
    writeFileSync(path.join(postgresDir, 'cluster', 'PG_VERSION'), '17\n');
    writeFileSync(path.join(postgresDir, 'credentials.json'), JSON.stringify({ password: 'not-used' }), { mode: 0o600 });

    const { code, stderr } = await runOpentsp(['serve', '--sandbox'], cleanEnv({ PORT: '0', OPENTSP_DATA_DIR: dataDir, LOG_LEVEL: 'warn' }));
    expect(code).toBe(78);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^opentsp: The embedded Postgres did not start \(postgres exited with \d+: .+\): set DATABASE_URL/);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  }, 90_000);

  it('says when the sandbox on the same data folder is already running, and exits 78', async () => {
    const running = mkdtempSync(path.join(dataRoot, 'running-postgres-'));
    chmodSync(running, 0o755);
    const env = cleanEnv({ PORT: '0', OPENTSP_DATA_DIR: running, LOG_LEVEL: 'info' });
    const first = spawnOpentsp(['serve', '--sandbox'], env);
    try {
      await waitForLogLine(first, (l) => l.msg === 'OpenTSP listening', 90_000);
      const second = await runOpentsp(['serve', '--sandbox'], { ...env, LOG_LEVEL: 'warn' });
      expect(second.code).toBe(78);
      expect(second.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^opentsp: The embedded Postgres in .+ is already running \(another `pnpm start`.+\): stop that one, or set OPENTSP_DATA_DIR/)]);
      const exited = new Promise((resolve) => first.once('exit', resolve));
      first.kill('SIGTERM');
      await exited;
    } finally {
      first.kill('SIGKILL');
      rmSync(running, { recursive: true, force: true });
    }
  }, 150_000);
});
