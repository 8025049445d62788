import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanEnv, TSP_DIR, waitForLogLine } from '../../../../test/support/cli';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';

/**
 * The production deployment of docs/operations.md ("Deployment"): `run build`, then
 * `OPENTSP_USE_DIST=1 bin/opentsp serve` runs the compiled bundle with plain node (no tsx),
 * finds the contract in the repository as the sources do, and stops cleanly on SIGTERM.
 */
describe('opentsp serve from the compiled build (OPENTSP_USE_DIST=1)', () => {
  let db: TestDatabase;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'opentsp-dist-test-'));

  // `run build` ran in the global setup (test/support/tsp-build.ts), from the current sources;
  // building again here would delete dist/ under the other files' running CLIs.
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  }, 60_000);

  afterAll(async () => {
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the API and the contract with node alone, and shuts down gracefully', async () => {
    const child = spawn(path.join(TSP_DIR, 'bin', 'opentsp'), ['serve', '--sandbox'], {
      cwd: TSP_DIR,
      env: cleanEnv({ OPENTSP_USE_DIST: '1', DATABASE_URL: db.url, PORT: '0', OPENTSP_DATA_DIR: dataDir, LOG_LEVEL: 'info' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const listening = await waitForLogLine(child, (l) => l.msg === 'OpenTSP listening', 60_000);
      const command = execFileSync('ps', ['-o', 'args=', '-p', String(child.pid)], { encoding: 'utf8' });
      expect(command).toContain(path.join('dist', 'main.js'));
      expect(command).not.toContain('tsx');
      const url = String(listening.url);
      for (const probe of ['/healthz', '/readyz', '/openapi.json', '/.well-known/jwks.json']) {
        const res = await fetch(url + probe);
        expect({ probe, status: res.status }).toEqual({ probe, status: 200 });
      }
      // The contract validator loaded the spec: a body missing every required member is a 400
      // problem listing them.
      const res = await fetch(`${url}/v1/detokenize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      const problem = (await res.json()) as { status: number; errors?: unknown[] };
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(problem.status).toBe(400);
      expect(problem.errors?.length).toBeGreaterThan(0);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 90_000);
});
