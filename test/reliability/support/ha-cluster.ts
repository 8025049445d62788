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

/**
 * The running leader, from Patroni's REST API (`/cluster` of the first node that answers),
 * asked from this process: spawning cluster.mjs for each poll took seconds on a loaded machine.
 */
export async function leaderName(): Promise<string | undefined> {
  for (const port of [8441, 8442, 8443]) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/cluster`, { signal: AbortSignal.timeout(1_000) });
      if (!res.ok) continue;
      const { members } = (await res.json()) as { members: Member[] };
      return members.find((m) => m.role === 'leader' && m.state === 'running')?.name;
    } catch {
      // that node is down or cut off: ask the next
    }
  }
  return undefined;
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

/** Cuts `name` off from etcd, the other nodes and HAProxy (iptables on loopback; cluster.mjs `partition`). */
export async function partition(name: string): Promise<void> {
  await cluster(['partition', name], 30_000);
}

/** Removes the partition. */
export async function heal(): Promise<void> {
  await cluster(['heal'], 30_000);
}

/** Waits until `name` streams from the leader as a replica (after a restart or a healed partition). */
export async function waitReplica(name: string): Promise<void> {
  await cluster(['wait-replica', name], 180_000);
}

/** Waits until a node other than `not` holds the leader lock and runs; returns its name. */
export async function waitNewLeader(not: string, timeoutMs = 120_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const leader = await leaderName().catch(() => undefined);
    if (leader && leader !== not) return leader;
    if (Date.now() > deadline) throw new Error(`no new leader within ${timeoutMs} ms (the old one: ${not})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * When Patroni on `name` began demoting its Postgres on its own ("demoting self because DCS is
 * not accessible"), from its log (the node is cut off: its REST API cannot be asked), as ms
 * since the epoch; undefined until it has. Only lines at or after `after` count.
 */
export function demotedSelfAt(name: string, after: number): number | undefined {
  const file = path.join(HA_DIR, name, 'patroni.log');
  if (!existsSync(file)) return undefined;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}),(\d{3}) INFO: demoting self because DCS is not accessible/.exec(line);
    if (!match) continue;
    const at = Date.parse(`${match[1]}T${match[2]}.${match[3]}Z`); // Patroni logs UTC here (TZ unset for the postgres user)
    if (at >= after - 1_000) return at;
  }
  return undefined;
}

/**
 * Drops every packet to and from a loopback port (HAProxy's replicas port: every replica out of
 * reach at once), in the chain `heal` empties.
 */
export function cutPort(port: number): void {
  const iptables = (args: string[]) => spawnSync('iptables', ['-w', ...args], { stdio: 'ignore' }).status === 0;
  if (!iptables(['-L', 'OPENTSP_HA', '-n'])) {
    iptables(['-N', 'OPENTSP_HA']);
    iptables(['-I', 'OUTPUT', '-o', 'lo', '-j', 'OPENTSP_HA']);
  }
  for (const direction of ['--dport', '--sport']) {
    if (!iptables(['-A', 'OPENTSP_HA', '-p', 'tcp', direction, String(port), '-j', 'DROP'])) throw new Error(`iptables refused to cut port ${port}`);
  }
}

/** True when a partition can be made here: root with a working iptables. */
export function partitionAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  return spawnSync('iptables', ['-w', '-L', 'OUTPUT', '-n'], { stdio: 'ignore' }).status === 0;
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
