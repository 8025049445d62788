import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * The compiled TSP (`services/tsp/dist/main.js`, from `scripts/build.mjs`) that tests spawn as
 * the `opentsp` CLI: plain node starts it in about half the CPU of `node --import tsx` compiling
 * the sources cold, and crash, multi-process and CLI tests start it dozens of times a run.
 *
 * Never stale: the global setup hashes every source the bundle is made of (the TSP's, the
 * workspace packages' it bundles, the lockfile, the build script) and rebuilds unless the hash
 * stored next to the bundle is the same. A developer who edits a source and runs one test file
 * gets a fresh build (a few seconds); an unchanged tree reuses it.
 */
const REPO = path.resolve(__dirname, '..', '..');
export const TSP_DIR = path.join(REPO, 'services', 'tsp');
export const TSP_DIST_MAIN = path.join(TSP_DIR, 'dist', 'main.js');
const STAMP = path.join(TSP_DIR, 'dist', '.source-hash');

/** Files and folders whose content goes into the bundle (folders: every file inside). */
function bundleInputs(): string[] {
  const inputs = [path.join(REPO, 'pnpm-lock.yaml'), path.join(TSP_DIR, 'scripts', 'build.mjs')];
  for (const group of ['packages', 'services']) {
    for (const entry of readdirSync(path.join(REPO, group))) {
      const dir = path.join(REPO, group, entry);
      inputs.push(path.join(dir, 'package.json'), path.join(dir, 'src'));
    }
  }
  return inputs.filter((p) => existsSync(p));
}

function hashInto(hash: ReturnType<typeof createHash>, target: string): void {
  if (statSync(target).isDirectory()) {
    for (const entry of readdirSync(target).sort()) {
      if (entry === 'node_modules' || entry === 'dist') continue;
      hashInto(hash, path.join(target, entry));
    }
    return;
  }
  hash.update(path.relative(REPO, target)).update('\0').update(readFileSync(target)).update('\0');
}

export function bundleSourceHash(): string {
  const hash = createHash('sha256');
  for (const input of bundleInputs()) hashInto(hash, input);
  return hash.digest('hex');
}

/** True when dist/main.js was built from the sources as they are now. */
export function tspBuildIsFresh(hash = bundleSourceHash()): boolean {
  return existsSync(TSP_DIST_MAIN) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === hash;
}

/**
 * Builds dist/ unless it is fresh; resolves with what it did (for the run's log). Two jest runs
 * may start at once (`.ci/run` runs the failover test beside the main run): one builds, under a
 * lock folder, and the other waits for it and then finds the build fresh.
 */
export async function ensureTspBuild(): Promise<'fresh' | 'built'> {
  const hash = bundleSourceHash();
  if (tspBuildIsFresh(hash)) return 'fresh';
  const release = await buildLock();
  try {
    if (tspBuildIsFresh(hash)) return 'fresh';
    await promisify(execFile)(process.execPath, [path.join(TSP_DIR, 'scripts', 'build.mjs')], { cwd: TSP_DIR });
    writeFileSync(STAMP, hash);
    return 'built';
  } finally {
    release();
  }
}

const LOCK = path.join(TSP_DIR, '.dist-build.lock');

/** mkdir is atomic: the process that creates the folder builds; a lock whose owner died is taken over. */
async function buildLock(): Promise<() => void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(path.join(LOCK, 'pid'), String(process.pid));
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (!ownerAlive() || Date.now() > deadline) rmSync(LOCK, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

function ownerAlive(): boolean {
  try {
    process.kill(Number(readFileSync(path.join(LOCK, 'pid'), 'utf8')), 0);
    return true;
  } catch (err) {
    // No pid file yet: the owner is between mkdir and writing it.
    return (err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
