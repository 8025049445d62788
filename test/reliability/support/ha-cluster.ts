import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The three-node Patroni cluster of services/postgres-ha/cluster.mjs (`pnpm ha:up`), driven from
 * the failover tests: bring it up, find the leader, kill a node as a lost host dies (SIGKILL to
 * its Patroni, its postmaster and every backend), start it again, switch over.
 */
const CLUSTER = path.resolve(__dirname, '..', '..', '..', 'services', 'postgres-ha', 'cluster.mjs');
export const HA_DIR = process.env.OPENTSP_HA_DIR || '/var/tmp/opentsp-ha';

export interface Member {
  name: string;
  role: 'leader' | 'sync_standby' | 'replica' | string;
  state: string;
  lag?: number;
}

export interface ClusterStatus {
  leaderUrl: string;
  replicasUrl: string;
  members: Member[];
}

/** Runs cluster.mjs without blocking the event loop (the workload's clients keep running meanwhile). */
function cluster(args: string[], timeoutMs = 300_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLUSTER, ...args], { encoding: 'utf8', timeout: timeoutMs, env: process.env, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`cluster.mjs ${args.join(' ')} failed (${err.message}): ${stderr}`));
      else resolve(stdout);
    });
  });
}

export async function haUp(): Promise<ClusterStatus> {
  return JSON.parse(await cluster(['up'])) as ClusterStatus;
}

export async function haDown(): Promise<void> {
  await cluster(['down'], 60_000);
}

export async function haStatus(): Promise<ClusterStatus> {
  return JSON.parse(await cluster(['status'], 60_000)) as ClusterStatus;
}

export async function leaderName(): Promise<string | undefined> {
  return (await haStatus()).members.find((m) => m.role === 'leader' && m.state === 'running')?.name;
}

function pidFrom(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]?.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** SIGKILL to a node's Patroni, its postmaster and the postmaster's children: the host is gone. */
export function killNode(name: string): void {
  const patroni = pidFrom(path.join(HA_DIR, `${name}.pid`));
  const postmaster = pidFrom(path.join(HA_DIR, name, 'data', 'postmaster.pid'));
  const backends = postmaster ? spawnSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number) : [];
  for (const pid of [patroni, postmaster, ...backends]) {
    if (!pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export async function startNode(name: string): Promise<void> {
  await cluster(['start-node', name]);
}

export async function switchover(): Promise<{ from: string; to: string }> {
  return JSON.parse(await cluster(['switchover'], 120_000)) as { from: string; to: string };
}

/** Copies the cluster's logs (etcd, Patroni, Postgres, HAProxy) to `dir` before `haDown` removes them. */
export function keepClusterLogs(dir: string): void {
  if (!existsSync(HA_DIR)) return;
  spawnSync('sh', ['-c', `rm -rf "${dir}" && mkdir -p "${dir}" && cd "${HA_DIR}" && find . -name '*.log' -exec cp --parents {} "${dir}" \\;`]);
}

/** True when the machine can run the cluster (root or the packages present). */
export function haAvailable(): boolean {
  if (process.getuid?.() === 0) return true;
  try {
    execFileSync('sh', ['-c', 'command -v patroni && command -v etcd && command -v haproxy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
