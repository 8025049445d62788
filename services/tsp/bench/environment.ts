import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, chmodSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/store/embedded-postgres';

const TSP_DIR = path.resolve(__dirname, '..');
const REPO = path.resolve(TSP_DIR, '..', '..');

export interface BenchDatabase {
  url: string;
  description: string;
  close(): Promise<void>;
}

/**
 * A fresh database for the run: a new database on the server at DATABASE_URL, or an embedded
 * Postgres (deleted afterwards) when DATABASE_URL is unset.
 */
export async function prepareDatabase(): Promise<BenchDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const name = `opentsp_bench_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const version = (await admin.query<{ server_version: string }>('show server_version')).rows[0]?.server_version ?? '?';
    await admin.end();
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      description: `Postgres ${version} (local server)`,
      async close() {
        const drop = new pg.Client({ connectionString: serverUrl });
        await drop.connect();
        await drop.query(`drop database if exists ${name} with (force)`);
        await drop.end();
      },
    };
  }
  const dataDir = path.join(REPO, '.data', `bench-postgres-${process.pid}`);
  mkdirSync(dataDir, { recursive: true });
  chmodSync(dataDir, 0o755);
  const embedded = await startEmbeddedPostgres({ dataDir, persistent: false });
  return {
    url: embedded.url,
    description: 'Postgres (embedded)',
    async close() {
      await embedded.stop();
      rmSync(dataDir, { recursive: true, force: true }); // the cluster is gone; its folder too
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface RunningProcess {
  url: string;
  child: ChildProcess;
  /** Resident memory of the process and its children (cluster workers), in MiB. */
  rssMiB(): number;
  /** Resident memory of the largest single process among them (DESIGN §8 counts per process). */
  largestProcessRssMiB(): number;
  stop(): Promise<void>;
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

/** Resident memory of `pid` and its descendants, in MiB: the sum, or the largest one process. */
function treeRssMiB(pid: number | undefined, largestOnly = false): number {
  if (!pid) return 0;
  try {
    const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,rss='], { encoding: 'utf8' });
    const rows = out
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/).map(Number) as [number, number, number]);
    const pids = new Set([pid]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const [p, pp] of rows) if (pids.has(pp) && !pids.has(p)) (pids.add(p), (grew = true));
    }
    const tree = rows.filter(([p]) => pids.has(p)).map(([, , rss]) => rss);
    return Math.round((largestOnly ? Math.max(0, ...tree) : tree.reduce((sum, rss) => sum + rss, 0)) / 1024);
  } catch {
    return 0;
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts an entry point as a child process and waits for `readyPath`: a `.ts` entry with the tsx
 * loader, a `.js` one (the compiled TSP) with plain node. `nodeArgs` go before the entry
 * (e.g. `--cpu-prof`).
 */
export async function startProcess(
  entry: string,
  args: string[],
  env: Record<string, string>,
  readyPath: string,
  nodeArgs: string[] = [],
): Promise<RunningProcess> {
  const port = Number(env.PORT);
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...nodeArgs, ...loader, entry, ...args], {
    cwd: TSP_DIR,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  try {
    // 3 minutes: on the shared 2-core machine under load the compiled cluster took over 60 s.
    await waitReady(url + readyPath, child, 180_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${path.basename(entry)} did not start: ${(err as Error).message}\n${stderr}`);
  }
  return { url, child, rssMiB: () => treeRssMiB(child.pid), largestProcessRssMiB: () => treeRssMiB(child.pid, true), stop: () => stopChild(child) };
}

/**
 * Builds the compiled TSP (services/tsp/dist, `pnpm --filter @opentsp/tsp run build`) from the
 * current sources and returns its entry point: the bench measures the deployment the docs
 * recommend, and never a stale build.
 */
export function buildCompiledTsp(): string {
  execFileSync(process.execPath, [path.join(TSP_DIR, 'scripts', 'build.mjs')], { cwd: TSP_DIR, stdio: 'ignore' });
  return path.join(TSP_DIR, 'dist', 'main.js');
}

export const ENTRY = {
  tsp: path.join(TSP_DIR, 'src', 'cli', 'main.ts'),
  issuerSim: path.join(REPO, 'services', 'issuer-sim', 'src', 'main.ts'),
  httpFloor: path.join(__dirname, 'http-floor.ts'),
};

// The bench raises the per-client rate limits: it measures capacity, not the limiter.
export const BENCH_ENV = {
  OPENTSP_RATE_LIMIT_HOT: '1000000/1',
  OPENTSP_RATE_LIMIT_DEFAULT: '1000000/1',
  OPENTSP_RATE_LIMIT_GUESSABLE: '10000000/60',
  OPENTSP_RATE_LIMIT_AUTH: '100000/60',
  OPENTSP_RATE_LIMIT_AUTH_IP: '100000/60',
  OPENTSP_BIN_CONTROLLER_ID: 'B401',
  // The issuer-sim listens on 127.0.0.1: without this the production-mode TSP refuses to call
  // it (SSRF guard) and every provisioning is a stand-in decision, not the issuer's over HTTP.
  OPENTSP_OUTBOUND_ALLOW_CIDRS: '127.0.0.1/32',
  LOG_LEVEL: 'warn',
};

/** Runs a bench script's `main`: exit 0 when it resolves, else its stack on stderr and exit 1. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
