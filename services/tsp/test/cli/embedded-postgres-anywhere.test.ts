import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeSandboxData, TSP_DIR } from '../../../../test/support/cli';

/*
 * Issue 16: the embedded Postgres starts wherever the data folder is and whoever runs it — an
 * ordinary user, root with the folder somewhere the postgres user cannot enter, a path with
 * spaces. `opentsp migrate --sandbox` is the shortest command that starts it, migrates and stops.
 */
// The compiled CLI, built from the current sources by the test run's global setup (test/support/tsp-build.ts).
const CLI = path.join(TSP_DIR, 'dist', 'main.js');
const isRoot = process.getuid?.() === 0;

function ordinaryUser(): { uid: number; gid: number } | undefined {
  if (!isRoot) return undefined; // we are one already
  try {
    return { uid: Number(execFileSync('id', ['-u', 'nobody']).toString()), gid: Number(execFileSync('id', ['-g', 'nobody']).toString()) };
  } catch {
    return undefined;
  }
}

/**
 * An ordinary user can run the TSP only from a checkout it can read: a clone under root's 0700
 * home (where `pnpm test` runs as root) is out of its reach, so that case needs a readable one.
 */
function checkoutReadableBy(user: { uid: number; gid: number } | undefined): boolean {
  if (!user) return true;
  return spawnSync('test', ['-r', CLI], { uid: user.uid, gid: user.gid }).status === 0;
}

function migrateSandbox(dataDir: string, home: string, user?: { uid: number; gid: number }): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'migrate', '--sandbox'], {
      cwd: TSP_DIR,
      env: { PATH: process.env.PATH, HOME: home, OPENTSP_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(user ?? {}),
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('the embedded Postgres starts wherever the data is and whoever runs it', () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'opentsp embedded ')); // 0700, and a space in the path
  afterAll(() => {
    removeSandboxData(path.join(home, 'root data'));
    rmSync(home, { recursive: true, force: true });
  });

  const user = ordinaryUser();
  (isRoot && (!user || !checkoutReadableBy(user)) ? it.skip : it)('as an ordinary user, in a folder whose path has spaces', async () => {
    const own = path.join(home, 'user home');
    mkdirSync(own, { mode: 0o700 });
    if (user) {
      chownSync(home, 0, user.gid); // let the user in (group search only), as a home's parent would
      execFileSync('chmod', ['0710', home]);
      chownSync(own, user.uid, user.gid);
    }
    const result = await migrateSandbox(path.join(own, 'my data'), own, user);
    expect(result).toMatchObject({ code: 0, output: expect.stringMatching(/^applied: 0001-foundation/m) });
  }, 120_000);

  (isRoot ? it : it.skip)('as root, with the data folder where the postgres user cannot enter', async () => {
    const dataDir = path.join(home, 'root data');
    execFileSync('chmod', ['0700', home]);
    const first = await migrateSandbox(dataDir, home);
    expect(first).toMatchObject({ code: 0, output: expect.stringMatching(/^applied: 0001-foundation/m) });
    // The next start finds the same cluster (recorded in location.json): nothing left to apply.
    const second = await migrateSandbox(dataDir, home);
    expect(second).toMatchObject({ code: 0, output: expect.stringMatching(/^database is up to date$/m) });

    // A deleted data folder (password gone) with the cluster kept in /var/lib: a fresh start, no crash.
    rmSync(dataDir, { recursive: true, force: true });
    const fresh = await migrateSandbox(dataDir, home);
    expect(fresh).toMatchObject({ code: 0, output: expect.stringMatching(/^applied: 0001-foundation/m) });
  }, 180_000);
});
