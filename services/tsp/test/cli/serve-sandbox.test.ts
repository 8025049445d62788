import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { cleanEnv, removeSandboxData, spawnOpentsp, TSP_DIR, waitForLogLine } from '../../../../test/support/cli';

/**
 * The README's first command on a machine with no Postgres: `opentsp serve --sandbox` with no
 * DATABASE_URL starts an embedded Postgres, migrates, serves, and stops cleanly on SIGTERM.
 */
describe('opentsp serve --sandbox without DATABASE_URL', () => {
  const dataRoot = path.join(TSP_DIR, '..', '..', '.data');
  mkdirSync(dataRoot, { recursive: true });
  const dataDir = mkdtempSync(path.join(dataRoot, 'sandbox-test-'));
  chmodSync(dataDir, 0o755); // as root, the embedded Postgres runs as user postgres and must enter it
  afterAll(() => removeSandboxData(dataDir));

  it('starts on an embedded Postgres, answers probes, and shuts down gracefully', async () => {
    const child = spawnOpentsp(['serve', '--sandbox'], cleanEnv({ PORT: '0', OPENTSP_DATA_DIR: dataDir, LOG_LEVEL: 'info' }));
    try {
      const listening = await waitForLogLine(child, (l) => l.msg === 'OpenTSP listening', 90_000);
      const url = String(listening.url);
      for (const probe of ['/healthz', '/readyz', '/openapi.json', '/docs']) {
        const res = await fetch(url + probe);
        expect({ probe, status: res.status }).toEqual({ probe, status: 200 });
      }
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);
});
