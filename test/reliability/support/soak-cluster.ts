import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { TSP_DIR } from '../../support/cli';
import { assertNoCardDataInLogs } from '../../support/leak-scan';
import { freePort, type KeystoreEnv } from './tsp-process';

/**
 * `opentsp serve --workers N` as a child process (node:cluster: a primary and N workers sharing
 * one port), production mode, on a database and keystore the test gives it — what
 * docs/benchmarks.md runs and what an operator runs on one host. tsp-process.ts starts plain
 * `serve` (one process); this adds the cluster form and per-process RSS sampling.
 *
 * Same environment as tsp-process.ts (production, info logs, 127.0.0.1). `stop()` sends SIGTERM
 * (the primary stops its workers), SIGKILL after 10 s, then leak-scans everything the cluster
 * logged.
 */
export interface ClusterTsp {
  readonly baseUrl: string;
  readonly primaryPid: number;
  /** Live worker pids (children of the primary). */
  workerPids(): number[];
  /** Resident set size in KiB of the primary, of each worker, and of the primary's other children (tsx's esbuild service), now. */
  rss(): { primaryKiB: number; workersKiB: number[]; helpersKiB: number; totalKiB: number };
  readonly stdout: string;
  readonly stderr: string;
  stop(): Promise<void>;
}

const BIN = path.join(TSP_DIR, 'bin', 'opentsp');

export async function startClusterTsp(options: {
  databaseUrl: string;
  keystore: KeystoreEnv;
  workers: number;
  env?: Record<string, string>;
  label?: string;
  readyTimeoutMs?: number;
}): Promise<ClusterTsp> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const label = options.label ?? `cluster:${port}`;
  const child = spawn(BIN, ['serve', '--workers', String(options.workers)], {
    cwd: TSP_DIR,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      // The compiled build, as production runs it (the global setup built it from these sources).
      OPENTSP_USE_DIST: '1',
      OPENTSP_MODE: 'production',
      DATABASE_URL: options.databaseUrl,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      OPENTSP_SHUTDOWN_GRACE_MS: '2000',
      // The test's receivers and issuer-sim live on loopback, which production refuses by default.
      OPENTSP_OUTBOUND_ALLOW_CIDRS: '127.0.0.0/8',
      // Diagnosis: e.g. `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=/tmp/heaps` to take heap
      // snapshots of the workers during a soak (docs/reliability.md).
      ...(process.env.OPENTSP_SOAK_NODE_OPTIONS ? { NODE_OPTIONS: process.env.OPENTSP_SOAK_NODE_OPTIONS } : {}),
      ...options.keystore,
      ...(options.env ?? {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  let gone = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => ((gone = true), resolve())));
  const primaryPid = child.pid ?? -1;

  // The primary's children are its workers (and, from sources with tsx, esbuild's transform service).
  const workerPids = () => childrenOf(primaryPid).filter(isTspWorker);
  const killTree = (signal: NodeJS.Signals) => {
    for (const pid of [...childrenOf(primaryPid), primaryPid]) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  };

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      const workers = childrenOf(primaryPid);
      if (!gone) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => killTree('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      // A worker must not outlive its primary (it would keep the port and the pool).
      for (const pid of workers) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // exited with the primary, as it should
        }
      }
      const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 1 });
      try {
        await assertNoCardDataInLogs(`${stdout}\n${stderr}`, label, pool);
      } finally {
        await pool.end();
      }
    })());

  try {
    await waitReady(baseUrl, () => gone, options.readyTimeoutMs ?? 90_000, options.workers, workerPids);
  } catch (err) {
    killTree('SIGKILL');
    await exited;
    throw new Error(`${label}: ${(err as Error).message}; stderr: ${stderr.slice(-2000)}`);
  }
  return {
    baseUrl,
    primaryPid,
    workerPids,
    rss() {
      const primaryKiB = rssKiB(primaryPid);
      const children = childrenOf(primaryPid);
      const workersKiB = children.filter(isTspWorker).map(rssKiB);
      const helpersKiB = children.filter((pid) => !isTspWorker(pid)).reduce((sum, pid) => sum + rssKiB(pid), 0);
      return { primaryKiB, workersKiB, helpersKiB, totalKiB: primaryKiB + workersKiB.reduce((a, b) => a + b, 0) };
    },
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    stop,
  };
}

/** Ready = `/readyz` answers 200 and every worker is up (the first ready worker answers alone). */
async function waitReady(baseUrl: string, gone: () => boolean, timeoutMs: number, workers: number, workerPids: () => number[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ready = 0;
  while (Date.now() < deadline) {
    if (gone()) throw new Error('the TSP exited before it was ready');
    try {
      const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      ready = res.status === 200 ? ready + 1 : 0;
      // Several consecutive 200s with all workers forked: the later workers have had time to
      // listen too (a request lands on whichever worker the primary picks).
      if (ready >= 2 * workers && workerPids().length >= workers) return;
    } catch {
      ready = 0;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`not ready within ${timeoutMs} ms`);
}

/** Resident set size of a process in KiB (Linux /proc), 0 when it is gone. */
export function rssKiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** A cluster worker runs the CLI entry point (cluster.fork re-runs the primary's script). */
function isTspWorker(pid: number): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(`dist${path.sep}main.js`) || cmdline.includes(`cli${path.sep}main.ts`);
  } catch {
    return false;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}
