#!/usr/bin/env node
// `pnpm ha:up` / `pnpm ha:down` / `pnpm ha:status`: a three-node Postgres 15 cluster with
// automatic failover on loopback ports, for developers and the failover tests — Patroni (one
// per node) over etcd, HAProxy routing to the leader by Patroni's REST checks. Built from
// Debian's packages (installed when missing, as root). The production layout is the same with
// one host per node and three etcd members: docs/operations.md, "High availability".
//
//   127.0.0.1:5440  HAProxy → the leader (read-write)      DATABASE_URL
//   127.0.0.1:5439  HAProxy → replicas within the lag bound DATABASE_READ_URL
//   127.0.0.1:5441-5443  the nodes' Postgres; 8441-8443 their Patroni REST API; 2479 etcd
//     (2481-2483: each node's own way in to etcd, so a test can cut one node off alone);
//   127.0.0.1:8440  HAProxy's stats page
//
// State lives under OPENTSP_HA_DIR (default /var/tmp/opentsp-ha): outside the checkout, so the
// `postgres` user that runs the nodes can reach it wherever the repository was cloned.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, chownSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HA_DIR = process.env.OPENTSP_HA_DIR || '/var/tmp/opentsp-ha';
export const PORTS = { leader: 5440, replicas: 5439, stats: 8440, etcdClient: 2479, etcdPeer: 2480 };
export const NODES = [1, 2, 3].map((i) => ({ name: `node${i}`, pgPort: 5440 + i, restPort: 8440 + i, etcdPort: 2480 + i }));
const SUPERUSER_PASSWORD = 'opentsp-ha-local';
export const LEADER_URL = `postgres://postgres:${SUPERUSER_PASSWORD}@127.0.0.1:${PORTS.leader}/postgres`;
export const REPLICAS_URL = `postgres://postgres:${SUPERUSER_PASSWORD}@127.0.0.1:${PORTS.replicas}/postgres`;
const PG_BIN = '/usr/lib/postgresql/15/bin';

function log(line) {
  process.stderr.write(`ha: ${line}\n`);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;
}

/**
 * Debian packages: patroni, etcd-server, haproxy (Postgres 15 comes with the machine), and as
 * root iptables, which `partition` uses (the failover test's network partition of the leader).
 */
function ensurePackages() {
  const wanted = [['patroni', 'patroni'], ['etcd', 'etcd-server'], ['haproxy', 'haproxy']];
  if (process.getuid?.() === 0) wanted.push(['iptables', 'iptables']);
  const missing = wanted.filter(([cmd]) => !has(cmd) && !existsSync(`/usr/sbin/${cmd}`));
  if (!existsSync(`${PG_BIN}/postgres`)) missing.push(['postgres', 'postgresql-15']);
  if (!missing.length) return;
  if (process.getuid?.() !== 0) throw new Error(`missing packages ${missing.map((m) => m[1]).join(' ')}: install them (apt-get install) or run as root`);
  log(`installing ${missing.map((m) => m[1]).join(' ')}`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', ...missing.map((m) => m[1])], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

/** The user that runs etcd, Patroni and Postgres: Postgres refuses to run as root. */
function serviceUser() {
  if (process.getuid?.() !== 0) return undefined;
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  if (id.status !== 0) throw new Error('running as root needs a `postgres` user to run the cluster (the postgresql-15 package creates it)');
  return { uid: Number(id.stdout.trim()), gid: Number(run('id', ['-g', 'postgres']).trim()) };
}

function patroniConfig(node) {
  const dir = path.join(HA_DIR, node.name);
  // Failure detection: the leader key lives `ttl` seconds; each node loops every `loop_wait`.
  // ttl 7 / loop 1 / retry 3 keeps loop_wait + 2 × retry_timeout ≤ ttl (Patroni's rule) and puts
  // a new leader in place inside DESIGN §8's 15 s after a node dies (measured: docs/reliability.md).
  return `scope: opentsp
namespace: /opentsp/
name: ${node.name}
log:
  level: INFO
  dir: ${dir}
restapi:
  listen: 127.0.0.1:${node.restPort}
  connect_address: 127.0.0.1:${node.restPort}
# Each node reaches etcd on a port of its own (etcd listens on all of them), taken as given
# (use_proxies: no discovery of etcd's advertised URL): a partition test can then cut exactly
# this node off from etcd (test/reliability/support/ha-cluster.ts). Production: the etcd members.
etcd3:
  hosts: 127.0.0.1:${node.etcdPort}
  use_proxies: true
bootstrap:
  dcs:
    ttl: 7
    loop_wait: 1
    retry_timeout: 3
    # A primary whose Postgres died is failed over at once, not restarted in place.
    primary_start_timeout: 0
    # Synchronous replication for every acknowledged write (DESIGN §9): Patroni keeps
    # synchronous_standby_names on one healthy standby and promotes only a synchronous one;
    # strict: with no standby left, writes wait rather than being acknowledged unreplicated.
    synchronous_mode: true
    synchronous_mode_strict: true
    synchronous_node_count: 1
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        max_connections: 300
        wal_level: replica
        hot_standby: 'on'
        wal_log_hints: 'on'
        max_wal_senders: 10
        max_replication_slots: 10
        synchronous_commit: 'on'
        wal_keep_size: 256MB
        # A primary cut off by a partition shuts down (demotion) only once its walsenders give
        # up on the silent standbys: 10 s instead of 60 bounds that.
        wal_sender_timeout: 10s
        wal_receiver_timeout: 10s
  initdb:
    - encoding: UTF8
    - data-checksums
    - locale: C.UTF-8
postgresql:
  listen: 127.0.0.1:${node.pgPort}
  connect_address: 127.0.0.1:${node.pgPort}
  data_dir: ${path.join(dir, 'data')}
  bin_dir: ${PG_BIN}
  pgpass: ${path.join(dir, 'pgpass')}
  # Patroni talks to its own Postgres over the Unix socket, as on a real host where a network
  # partition cuts the links between hosts but not a node from itself.
  use_unix_socket: true
  use_unix_socket_repl: false
  # Loopback only, for development and tests: production uses scram-sha-256 and TLS.
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256
  authentication:
    superuser: { username: postgres, password: ${SUPERUSER_PASSWORD} }
    replication: { username: replicator, password: opentsp-ha-replication }
    rewind: { username: rewinder, password: opentsp-ha-rewind }
  parameters:
    unix_socket_directories: '${dir}'
tags:
  nofailover: false
  noloadbalance: false
`;
}

function haproxyConfig() {
  const servers = (check) => NODES.map((n) => `  server ${n.name} 127.0.0.1:${n.pgPort} maxconn 400 check port ${n.restPort}${check}`).join('\n');
  return `# HAProxy in front of the Patroni cluster: the leader port follows Patroni's /primary check
# (200 only on the node holding the leader lock); sessions to a node marked down are cut, so no
# client keeps talking to a demoted primary.
global
  maxconn 2000
  pidfile ${path.join(HA_DIR, 'haproxy.pid')}
defaults
  mode tcp
  timeout connect 2s
  timeout client 30m
  timeout server 30m
  timeout check 1s
  default-server inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions
listen leader
  bind 127.0.0.1:${PORTS.leader}
  option httpchk GET /primary
  http-check expect status 200
${servers('')}
listen replicas
  bind 127.0.0.1:${PORTS.replicas}
  balance roundrobin
  # Replicas more than 1 MB of WAL behind the leader are left out (the read staleness bound).
  option httpchk GET /replica?lag=1MB
  http-check expect status 200
${servers('')}
listen stats
  mode http
  bind 127.0.0.1:${PORTS.stats}
  stats enable
  stats uri /
`;
}

function spawnDetached(name, cmd, args, user) {
  const logFile = path.join(HA_DIR, `${name}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out], ...(user ? { uid: user.uid, gid: user.gid } : {}), env: { ...process.env, PATH: `${PG_BIN}:${process.env.PATH}` } });
  child.unref();
  writeFileSync(path.join(HA_DIR, `${name}.pid`), String(child.pid));
  return child.pid;
}

async function waitFor(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (logs under ${HA_DIR})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Patroni's view of the cluster: `[{ name, role, state, lag }]` from any node that answers. */
export async function clusterMembers() {
  for (const node of NODES) {
    try {
      const res = await fetch(`http://127.0.0.1:${node.restPort}/cluster`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return (await res.json()).members;
    } catch {
      // try the next node
    }
  }
  return [];
}

export async function up() {
  ensurePackages();
  const user = serviceUser();
  mkdirSync(HA_DIR, { recursive: true, mode: 0o700 });
  if (user) chownSync(HA_DIR, user.uid, user.gid);
  if (existsSync(path.join(HA_DIR, 'etcd.pid')) && alive(Number(readFileSync(path.join(HA_DIR, 'etcd.pid'), 'utf8')))) {
    log('already running; `pnpm ha:down` first to start afresh');
    return status();
  }
  const etcdDir = path.join(HA_DIR, 'etcd');
  mkdirSync(etcdDir, { recursive: true, mode: 0o700 });
  if (user) chownSync(etcdDir, user.uid, user.gid);
  spawnDetached('etcd', 'etcd', [
    '--name', 'ha', '--data-dir', etcdDir,
    '--listen-client-urls', [PORTS.etcdClient, ...NODES.map((n) => n.etcdPort)].map((port) => `http://127.0.0.1:${port}`).join(','), '--advertise-client-urls', `http://127.0.0.1:${PORTS.etcdClient}`,
    '--listen-peer-urls', `http://127.0.0.1:${PORTS.etcdPeer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${PORTS.etcdPeer}`,
    '--initial-cluster', `ha=http://127.0.0.1:${PORTS.etcdPeer}`,
  ], user);
  await waitFor('etcd', async () => (await fetch(`http://127.0.0.1:${PORTS.etcdClient}/health`)).ok, 20_000);
  for (const node of NODES) {
    const dir = path.join(HA_DIR, node.name);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(dir, 'patroni.yml'), patroniConfig(node), { mode: 0o600 });
    if (user) {
      chownSync(dir, user.uid, user.gid);
      chownSync(path.join(dir, 'patroni.yml'), user.uid, user.gid);
    }
  }
  // The first node bootstraps the cluster; the others clone from it (pg_basebackup) once it leads.
  for (const node of NODES) spawnDetached(node.name, 'patroni', [path.join(HA_DIR, node.name, 'patroni.yml')], user);
  await waitFor('a leader', async () => (await clusterMembers()).some((m) => m.role === 'leader' && m.state === 'running'), 90_000);
  await waitFor('two streaming replicas', async () => (await clusterMembers()).filter((m) => m.role !== 'leader' && ['running', 'streaming'].includes(m.state) && m.lag !== undefined).length === 2, 120_000);
  writeFileSync(path.join(HA_DIR, 'haproxy.cfg'), haproxyConfig());
  run('haproxy', ['-D', '-f', path.join(HA_DIR, 'haproxy.cfg')]);
  // HAProxy starts every server as UP until its checks say otherwise: wait until the leader
  // listener has exactly one server up (the leader), not just one good connection.
  await waitFor('HAProxy routing to the leader only', async () => (await upServers('leader')).length === 1 && pgAnswers(PORTS.leader), 30_000);
  return status();
}

/** Servers HAProxy has UP in one listener, from its stats page (CSV). */
async function upServers(listener) {
  const csv = await (await fetch(`http://127.0.0.1:${PORTS.stats}/;csv`, { signal: AbortSignal.timeout(1000) })).text();
  return csv.split('\n').map((line) => line.split(',')).filter((f) => f[0] === listener && f[1] !== 'FRONTEND' && f[1] !== 'BACKEND' && f[17] === 'UP').map((f) => f[1]);
}

function pgAnswers(port) {
  const r = spawnSync('psql', ['-At', '-c', 'select pg_is_in_recovery()', `postgres://postgres:${SUPERUSER_PASSWORD}@127.0.0.1:${port}/postgres?connect_timeout=2`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === 'f';
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function down() {
  heal(); // a partition left by an interrupted test
  if (!existsSync(HA_DIR)) return log('nothing to stop');
  const pids = ['haproxy', ...NODES.map((n) => n.name), 'etcd']
    .map((name) => [name, path.join(HA_DIR, `${name}.pid`)])
    .filter(([, file]) => existsSync(file))
    .map(([name, file]) => [name, Number(readFileSync(file, 'utf8').trim())]);
  // Patroni stops its Postgres on SIGTERM; HAProxy and etcd stop on SIGTERM too.
  for (const [, pid] of pids) if (alive(pid)) process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (pids.some(([, pid]) => alive(pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  for (const [, pid] of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  // A Postgres left behind by a killed Patroni (kill -9 in the failover tests), or one still
  // shutting down after a partition: its postmaster and every backend, so no port stays taken.
  const postmasters = NODES.map((n) => path.join(HA_DIR, n.name, 'data', 'postmaster.pid')).filter((f) => existsSync(f)).map((f) => Number(readFileSync(f, 'utf8').split('\n')[0]));
  const children = postmasters.flatMap((pid) => spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number));
  for (const pid of [...postmasters, ...children]) if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
  spawnSync('pkill', ['-9', '-f', `-D ${HA_DIR}`]);
  rmSync(HA_DIR, { recursive: true, force: true });
  log('stopped and removed');
}

/** Starts one node's Patroni again (after a kill): it rejoins as a replica, pg_rewind first if it led. */
export async function startNode(name) {
  const node = NODES.find((n) => n.name === name);
  if (!node) throw new Error(`no node ${name}`);
  spawnDetached(node.name, 'patroni', [path.join(HA_DIR, node.name, 'patroni.yml')], serviceUser());
  await waitReplica(name);
  return status();
}

/** Waits until `name` is a replica streaming from the leader again (after a restart or a healed partition). */
export async function waitReplica(name) {
  await waitFor(`${name} streaming again`, async () => (await clusterMembers()).some((m) => m.name === name && m.role !== 'leader' && ['running', 'streaming'].includes(m.state) && typeof m.lag === 'number'), 120_000);
}

/**
 * A network partition of one node, with iptables on loopback (root): every packet to or from its
 * Postgres port and its Patroni REST port is dropped (HAProxy, the TSP behind it, the replicas'
 * streaming, the other Patronis), and so is its way in to etcd. Patroni on the cut-off node
 * can no longer renew the leader key and demotes its Postgres; the others elect a new leader
 * once the key expires. `heal` removes the rules. The rules live in a chain of their own,
 * OPENTSP_HA, so nothing else on the machine is touched.
 */
export function partition(name) {
  const node = NODES.find((n) => n.name === name);
  if (!node) throw new Error(`no node ${name}`);
  heal();
  run('iptables', ['-w', '-N', IPTABLES_CHAIN]);
  run('iptables', ['-w', '-I', 'OUTPUT', '-o', 'lo', '-j', IPTABLES_CHAIN]);
  for (const port of [node.pgPort, node.restPort, node.etcdPort]) {
    for (const direction of ['--dport', '--sport']) run('iptables', ['-w', '-A', IPTABLES_CHAIN, '-p', 'tcp', direction, String(port), '-j', 'DROP']);
  }
  return { partitioned: name };
}

const IPTABLES_CHAIN = 'OPENTSP_HA';

/** Removes a partition (no-op when there is none, or no iptables). */
export function heal() {
  if (!has('iptables')) return { healed: false };
  const exists = spawnSync('iptables', ['-w', '-L', IPTABLES_CHAIN, '-n'], { encoding: 'utf8' }).status === 0;
  if (!exists) return { healed: false };
  while (spawnSync('iptables', ['-w', '-D', 'OUTPUT', '-o', 'lo', '-j', IPTABLES_CHAIN]).status === 0);
  run('iptables', ['-w', '-F', IPTABLES_CHAIN]);
  run('iptables', ['-w', '-X', IPTABLES_CHAIN]);
  return { healed: true };
}

/**
 * A planned switchover to a healthy synchronous standby (maintenance of the leader's host):
 * Patroni demotes the leader cleanly, so only in-flight requests see a 503.
 */
export async function switchover() {
  const members = await clusterMembers();
  const leader = members.find((m) => m.role === 'leader');
  const candidate = members.find((m) => m.role === 'sync_standby') ?? members.find((m) => m.role !== 'leader' && m.state === 'running');
  if (!leader || !candidate) throw new Error(`no leader and candidate to switch over: ${JSON.stringify(members)}`);
  const node = NODES.find((n) => n.name === leader.name);
  const res = await fetch(`http://127.0.0.1:${node.restPort}/switchover`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ leader: leader.name, candidate: candidate.name }),
  });
  if (!res.ok) throw new Error(`switchover refused: ${res.status} ${await res.text()}`);
  await waitFor(`${candidate.name} leading`, async () => (await clusterMembers()).some((m) => m.name === candidate.name && m.role === 'leader' && m.state === 'running'), 60_000);
  return { from: leader.name, to: candidate.name };
}

export async function status() {
  const members = await clusterMembers();
  const summary = { dir: HA_DIR, leaderUrl: LEADER_URL, replicasUrl: REPLICAS_URL, members };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const command = process.argv[2];
  const commands = {
    up,
    down,
    status,
    switchover,
    'start-node': () => startNode(process.argv[3]),
    'wait-replica': () => waitReplica(process.argv[3]),
    partition: async () => partition(process.argv[3]),
    heal: async () => heal(),
  };
  if (!commands[command]) {
    process.stderr.write('usage: cluster.mjs up|down|status|switchover|start-node <nodeN>|partition <nodeN>|heal|wait-replica <nodeN>\n');
    process.exit(64);
  }
  commands[command]().then((result) => {
    if (['switchover', 'partition', 'heal'].includes(command)) process.stdout.write(`${JSON.stringify(result)}\n`);
  }).catch((err) => {
    process.stderr.write(`ha: ${err.message}\n`);
    process.exit(1);
  });
}
