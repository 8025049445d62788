/**
 * A real TSP as a child process: `services/tsp/bin/opentsp serve` in production mode, on a
 * database and keystore you give it, so tests can kill -9 it, restart it, or run several
 * processes on one database (what an operator runs, not the in-process harness).
 *
 * API (keep it small):
 * - `createProductionKeystore(dir)` → env for a keystore made by `opentsp keys init` in `dir`
 *   (one per test file; share it between processes on the same database).
 * - `startTspProcess({ databaseUrl, keystore, env?, port?, label? })` → `TspProcess`, resolved
 *   once `/readyz` answers 200. Port: a free 127.0.0.1 port chosen once and kept across
 *   restarts, so clients can retry the same `baseUrl` after a crash.
 * - `TspProcess`: `baseUrl`, `port`, `pid` (of the current run), `stdout` / `stderr` (all runs,
 *   raw text), `exited` (promise of the current run's exit), `kill(signal = 'SIGKILL')`
 *   (resolves when the process is gone), `restart()` (start again on the same port and wait for
 *   ready; kills first if it is still running), `stop()` (SIGTERM, SIGKILL after 10 s, then the
 *   leak scan of every run's logs: fails if a registered PAN or a card number of the database's
 *   card BINs was logged; idempotent).
 * - `runCli(args, { databaseUrl, keystore, env? })`: `opentsp <args>` with the same production env.
 *
 * @example
 * ```ts
 * const db = await createTestDatabase();
 * const keystore = await createProductionKeystore(mkdtempSync(path.join(tmpdir(), 'ks-')));
 * const tsp = await startTspProcess({ databaseUrl: db.url, keystore });
 * await tsp.kill();            // SIGKILL: no shutdown code runs
 * await tsp.restart();         // same port, ready again
 * await tsp.stop();            // graceful, then leak scan
 * ```
 * The database must exist; `serve` applies migrations itself. The caller drops it afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { runOpentsp, TSP_DIR } from '../../support/cli';
import { assertNoCardDataInLogs } from '../../support/leak-scan';

const BIN = path.join(TSP_DIR, 'bin', 'opentsp');
const PASSPHRASE = 'crash-safety keystore passphrase (test only)';

/** The env naming a production keystore (path, passphrase, BIN controller id). */
export interface KeystoreEnv {
  readonly OPENTSP_KEYSTORE_PATH: string;
  readonly OPENTSP_KEYSTORE_PASSPHRASE: string;
  readonly OPENTSP_BIN_CONTROLLER_ID: string;
}

export interface TspProcessOptions {
  databaseUrl: string;
  keystore: KeystoreEnv;
  /** Extra environment (OPENTSP_* settings); wins over the defaults below. */
  env?: Record<string, string>;
  /** Fixed port; default: a free one, chosen once. */
  port?: number;
  /** Names this process in errors and in the leak-scan report. */
  label?: string;
  /** How long a start may take until /readyz answers (migrations, key ring, a busy machine). */
  readyTimeoutMs?: number;
}

export interface TspProcess {
  readonly baseUrl: string;
  readonly port: number;
  readonly pid: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Creates a production keystore with `opentsp keys init` in `dir`; returns its env. */
export async function createProductionKeystore(dir: string): Promise<KeystoreEnv> {
  const keystore: KeystoreEnv = {
    OPENTSP_KEYSTORE_PATH: path.join(dir, 'keystore.jwe'),
    OPENTSP_KEYSTORE_PASSPHRASE: PASSPHRASE,
    OPENTSP_BIN_CONTROLLER_ID: 'T401',
  };
  const init = await runOpentsp(['keys', 'init'], productionEnv('postgres://unused', keystore, {}));
  if (init.code !== 0) throw new Error(`opentsp keys init failed (${init.code}): ${init.stderr}`);
  return keystore;
}

/** `opentsp <args>` against the database and keystore, as an operator runs it next to the servers. */
export function runCli(args: string[], options: Pick<TspProcessOptions, 'databaseUrl' | 'keystore' | 'env'>) {
  return runOpentsp(args, productionEnv(options.databaseUrl, options.keystore, options.env ?? {}));
}

// Production mode (no sandbox bootstrap, no response validation), info logs like an operator's,
// from the compiled build as production runs it (the global setup built it from these sources).
function productionEnv(databaseUrl: string, keystore: KeystoreEnv, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    OPENTSP_USE_DIST: '1',
    OPENTSP_MODE: 'production',
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    OPENTSP_SHUTDOWN_GRACE_MS: '2000',
    // The test's receivers and issuer-sim live on loopback, which production refuses by default.
    OPENTSP_OUTBOUND_ALLOW_CIDRS: '127.0.0.0/8',
    ...keystore,
    ...extra,
  };
}

/** A port free on 127.0.0.1 right now (the OS picks it; the TSP binds it moments later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startTspProcess(options: TspProcessOptions): Promise<TspProcess> {
  const port = options.port ?? (await freePort());
  const baseUrl = `http://127.0.0.1:${port}`;
  const label = options.label ?? `tsp-process:${port}`;
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const env = productionEnv(options.databaseUrl, options.keystore, { PORT: String(port), ...(options.env ?? {}) });
  let stdout = '';
  let stderr = '';
  let child: ChildProcess;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let running = false;
  let stopped: Promise<void> | undefined;

  const spawnOne = async () => {
    const proc = spawn(BIN, ['serve'], { cwd: TSP_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    running = true;
    proc.stdout?.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => {
        running = false;
        resolve({ code, signal });
      });
      proc.once('error', () => {
        running = false;
        resolve({ code: null, signal: null });
      });
    });
    await waitReady(baseUrl, exited, readyTimeoutMs, () => `${label}: ${stderr.slice(-2000)}`);
  };

  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (!running) return;
    child.kill(signal);
    await exited;
  };
  // A test run that dies (jest timeout, crash) must not leave a TSP behind.
  const killOnExit = () => {
    if (running) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  // The port is reused on restart; if another process took it meanwhile, try again a couple of times.
  const start = async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await spawnOne();
      } catch (err) {
        await kill();
        if (attempt >= 3 || !/EADDRINUSE/.test(stderr + stdout.slice(-2000))) throw err;
      }
    }
  };

  await start().catch((err: unknown) => {
    process.removeListener('exit', killOnExit);
    throw err;
  });

  return {
    baseUrl,
    port,
    get pid() {
      return child.pid ?? -1;
    },
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    get exited() {
      return exited;
    },
    kill,
    async restart() {
      await kill();
      await start();
    },
    stop() {
      return (stopped ??= (async () => {
        if (running) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(timer);
        }
        process.removeListener('exit', killOnExit);
        // Card-BIN rule needs the database's BIN ranges: a short-lived pool on the same database.
        const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 1 });
        try {
          await assertNoCardDataInLogs(`${stdout}\n${stderr}`, label, pool);
        } finally {
          await pool.end();
        }
      })());
    },
  };
}

async function waitReady(
  baseUrl: string,
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  timeoutMs: number,
  describe: () => string,
): Promise<void> {
  let gone: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((e) => (gone = e));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`the TSP exited (${gone.code ?? gone.signal}) before it was ready; ${describe()}`);
    try {
      const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the TSP was not ready within ${timeoutMs} ms; ${describe()}`);
}
