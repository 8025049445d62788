import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { measureDurableFloor } from './durable-floor';
import { buildCompiledTsp, runMain } from './environment';
import { runLoad } from './load';
import { accessToken, detokenizeBodies } from './pregenerate';
import { seedBench } from './seeded-bench';

/**
 * `pnpm --filter @opentsp/tsp exec tsx bench/db-cost.ts [seconds] [workers]`: what ONE detokenization
 * costs, counted rather than timed, so the figures hold on a busy machine too.
 *
 * A compiled `serve --workers 2` is driven at 32 connections for `seconds` (default 10) after a
 * warm-up; before and after the measured window (each time once the audit chainer has chained
 * everything and the backends have flushed their statistics) it reads:
 * - CPU time (user + system, from /proc) of the TSP cluster, of the Postgres server (postmaster
 *   and every child: backends, WAL writer, checkpointer) and of this process (the load
 *   generator);
 * - WAL records, full-page images and bytes (`pg_stat_wal`);
 * - rows inserted, updated (and how many of those were HOT, i.e. touched no index) per table
 *   (`pg_stat_user_tables`), and each table's index count, so index entries written can be
 *   derived: every insert and every non-HOT update adds one entry to each index.
 * An idle window of the same length, just before, gives the background's share (job polling,
 * partition maintenance), which is subtracted.
 *
 * Run it on the embedded Postgres (DATABASE_URL unset, the default here): WAL and server CPU
 * are per cluster, so on a shared server other databases' work would be counted. Only 127.0.0.1.
 * Use 10 s or more: an autovacuum falling in one window and not the other moves Postgres's
 * figure (a 5 s run once printed −0.22 ms, the 10 s run after it 0.29 ms).
 */
const SECONDS = Number(process.argv[2] ?? 10);
/** `[seconds] [workers]`: the TSP's worker count (default 2). */
const WORKERS = Number(process.argv[3] ?? 2);
/** How long backends may keep statistics before flushing them when idle (PGSTAT_IDLE_INTERVAL). */
const STATS_FLUSH_MS = 11_000;
const TICK_MS = 1000 / 100; // USER_HZ

interface Counters {
  at: number;
  cpuMs: { tsp: number; tspSystem: number; postgres: number; load: number };
  wal: { records: number; fpi: number; bytes: number };
  tables: Map<string, { ins: number; upd: number; hot: number; indexes: number }>;
}

/**
 * A process's parent and its user and system CPU in clock ticks (/proc/<pid>/stat), or
 * undefined once it is gone. The CPU includes its children that have ended (cutime, cstime):
 * a pool closes idle connections, and the backend that did a window's work may be gone when
 * the window is read (without them, Postgres read 0.19 ms per detokenization instead of ≈ 2).
 */
function procStat(pid: number | string): { ppid: number; user: number; system: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const n = (i: number) => Number(fields[i]);
    return { ppid: n(1), user: n(11) + n(13), system: n(12) + n(14) };
  } catch {
    return undefined; // the process ended while we read
  }
}

/** User + system CPU of `root` and its descendants, and the system part alone, in ms. */
function cpuMsOfTree(root: number): { all: number; system: number } {
  const stats = new Map<number, NonNullable<ReturnType<typeof procStat>>>();
  for (const entry of readdirSync('/proc')) {
    const stat = /^\d+$/.test(entry) ? procStat(entry) : undefined;
    if (stat) stats.set(Number(entry), stat);
  }
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, { ppid }] of stats) if (tree.has(ppid) && !tree.has(pid)) (tree.add(pid), (grew = true));
  }
  let user = 0;
  let system = 0;
  for (const pid of tree) {
    user += stats.get(pid)?.user ?? 0;
    system += stats.get(pid)?.system ?? 0;
  }
  return { all: (user + system) * TICK_MS, system: system * TICK_MS };
}

async function main(): Promise<void> {
  const bench = await seedBench({ name: 'db-cost', tokens: 3_000 });
  const { services, parties, tokens } = bench;
  const owner = new pg.Client({ connectionString: bench.env.DATABASE_URL });
  try {
    const bodies = await detokenizeBodies(services, parties.wallet, tokens, 4_000 + SECONDS * 1_000);
    await services.audit.flush();
    await bench.closeSeeding();
    const tsp = await bench.start(buildCompiledTsp(), ['serve', '--workers', String(WORKERS)]);
    const token = await accessToken(tsp.url, parties.acquirer.clientId, parties.acquirer.clientSecret);
    await owner.connect();
    const postmaster = procStat((await owner.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid)!.ppid;
    const load = (seconds: number) =>
      runLoad({ name: 'detokenize @32', url: `${tsp.url}/v1/detokenize`, method: 'POST', headers: { authorization: `Bearer ${token}` }, connections: 32, durationSeconds: seconds, body: bodies.next });

    const settle = async () => {
      // Everything chained (the chainer's updates belong to the detokenizations), then the
      // backends' statistics flushed.
      for (let i = 0; i < 120; i++) {
        const left = await owner.query<{ n: string }>('select count(*) as n from audit_entries where seq is null');
        if (Number(left.rows[0]!.n) === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      await new Promise((resolve) => setTimeout(resolve, STATS_FLUSH_MS));
    };
    const read = async (): Promise<Counters> => {
      const wal = (await owner.query<{ r: string; f: string; b: string }>('select wal_records as r, wal_fpi as f, wal_bytes as b from pg_stat_wal')).rows[0]!;
      const rows = await owner.query<{ t: string; ins: string; upd: string; hot: string; idx: string }>(
        `select coalesce(p.relname, s.relname) as t, sum(n_tup_ins) as ins, sum(n_tup_upd) as upd, sum(n_tup_hot_upd) as hot,
                max((select count(*) from pg_index i where i.indrelid = s.relid)) as idx
           from pg_stat_user_tables s
           left join pg_inherits h on h.inhrelid = s.relid
           left join pg_class p on p.oid = h.inhparent
          where s.schemaname = 'public' group by 1`,
      );
      const tables = new Map(rows.rows.map((r) => [r.t, { ins: Number(r.ins), upd: Number(r.upd), hot: Number(r.hot), indexes: Number(r.idx) }]));
      const self = process.cpuUsage();
      const tspCpu = cpuMsOfTree(tsp.child.pid!);
      return {
        at: Date.now(),
        cpuMs: { tsp: tspCpu.all, tspSystem: tspCpu.system, postgres: cpuMsOfTree(postmaster).all, load: (self.user + self.system) / 1000 },
        wal: { records: Number(wal.r), fpi: Number(wal.f), bytes: Number(wal.b) },
        tables,
      };
    };

    await load(3); // warm-up: JIT, prepared statements, key caches
    await settle();
    const s0 = await read();
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    await settle();
    const s1 = await read(); // the idle window: background work only
    const statements = await statementTimes(owner);
    const result = await load(SECONDS);
    await settle();
    const s2 = await read();
    const granted = result.requests - result.errors - result.non2xx;
    if (bodies.used() > bodies.made) throw new Error(`cryptograms ran out (${bodies.used()} of ${bodies.made}): replays were counted; make more`);
    if (result.errors + result.non2xx > 0) throw new Error(`${result.errors + result.non2xx} requests failed`);
    const scale = (s2.at - s1.at) / (s1.at - s0.at);
    const per = (a2: number, a1: number, a0: number) => ((a2 - a1) - (a1 - a0) * scale) / granted;

    const out: string[] = [];
    out.push(`detokenize @32 for ${SECONDS} s: ${granted} granted (${result.rps}/s, p99 ${result.p99} ms); per detokenization, idle background subtracted:`);
    out.push('');
    out.push('| CPU per detokenization | ms |');
    out.push('|---|---|');
    const label = { tsp: `TSP cluster (primary + ${WORKERS} worker${WORKERS === 1 ? '' : 's'})`, tspSystem: '— of which in the kernel (socket sends and receives, loopback TCP)', postgres: 'Postgres (every server process)', load: 'load generator (autocannon)' };
    for (const k of ['tsp', 'tspSystem', 'postgres', 'load'] as const) out.push(`| ${label[k]} | ${per(s2.cpuMs[k], s1.cpuMs[k], s0.cpuMs[k]).toFixed(2)} |`);
    out.push('');
    out.push(`WAL per detokenization: ${per(s2.wal.records, s1.wal.records, s0.wal.records).toFixed(1)} records, ${per(s2.wal.fpi, s1.wal.fpi, s0.wal.fpi).toFixed(2)} full-page images, ${(per(s2.wal.bytes, s1.wal.bytes, s0.wal.bytes) / 1024).toFixed(2)} KiB`);
    out.push('');
    out.push('| table | indexes | inserts | updates | of which HOT | index entries written |');
    out.push('|---|---|---|---|---|---|');
    let entries = 0;
    for (const [name, t2] of [...s2.tables].sort()) {
      const t1 = s1.tables.get(name) ?? { ins: 0, upd: 0, hot: 0, indexes: t2.indexes };
      const t0 = s0.tables.get(name) ?? t1;
      const ins = per(t2.ins, t1.ins, t0.ins);
      const upd = per(t2.upd, t1.upd, t0.upd);
      const hot = per(t2.hot, t1.hot, t0.hot);
      if (Math.abs(ins) < 0.005 && Math.abs(upd) < 0.005) continue;
      const written = (ins + upd - hot) * t2.indexes;
      entries += written;
      out.push(`| ${name} | ${t2.indexes} | ${ins.toFixed(2)} | ${upd.toFixed(2)} | ${hot.toFixed(2)} | ${written.toFixed(1)} |`);
    }
    out.push(`| all | | | | | ${entries.toFixed(1)} |`);
    out.push('', ...(await statements.report(granted)));

    // The durable floor on the same server, counted the same way: what Postgres needs for the
    // least durable work a detokenization could be (one read, one update, one insert, commit).
    // The TSP stays up, idle: its background work is in the idle window subtracted below.
    const walLsn = async () => (await owner.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn')).rows[0]!.lsn;
    const lsnBytes = (lsn: string) => {
      const [hi, lo] = lsn.split('/');
      return parseInt(hi!, 16) * 2 ** 32 + parseInt(lo!, 16);
    };
    let f0 = { at: 0, cpu: 0, wal: 0 };
    const floor = await measureDurableFloor(bench.env.DATABASE_URL!, 20, SECONDS, undefined, async () => {
      f0 = { at: Date.now(), cpu: cpuMsOfTree(postmaster).all, wal: lsnBytes(await walLsn()) };
    });
    const f1 = { at: Date.now(), cpu: cpuMsOfTree(postmaster).all, wal: lsnBytes(await walLsn()) };
    const idlePerMs = (s1.cpuMs.postgres - s0.cpuMs.postgres) / (s1.at - s0.at);
    const floorTx = floor.requests;
    const floorCpu = (f1.cpu - f0.cpu - idlePerMs * (f1.at - f0.at)) / Math.max(1, floorTx);
    const detokCpu = per(s2.cpuMs.postgres, s1.cpuMs.postgres, s0.cpuMs.postgres);
    out.push(
      '',
      `The durable floor on the same server (${floor.name}, ${SECONDS} s, after its tables are filled): ${floorTx} transactions (${floor.rps}/s);`,
      `Postgres CPU ${floorCpu.toFixed(2)} ms and ${((f1.wal - f0.wal) / Math.max(1, floorTx) / 1024).toFixed(2)} KiB of WAL per transaction: a detokenization costs Postgres ${(detokCpu / Math.max(0.001, floorCpu)).toFixed(1)}× the floor's CPU.`,
    );
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await owner.end().catch(() => undefined);
    await bench.dispose();
  }
}

/**
 * Where Postgres spends its time, per statement, over the measured window (`pg_stat_statements`,
 * reset when the window starts), when the server loads it (`shared_preload_libraries`); the
 * embedded Postgres does not, so the table is printed for a server at DATABASE_URL only.
 * Execution and planning time only: parsing, binding, the protocol and the commit's WAL flush
 * are in the server's CPU above, not here.
 */
async function statementTimes(owner: pg.Client): Promise<{ report: (granted: number) => Promise<string[]> }> {
  try {
    await owner.query('create extension if not exists pg_stat_statements');
    await owner.query('select pg_stat_statements_reset()');
  } catch {
    return { report: async () => ['(per-statement times: the server does not load pg_stat_statements)'] };
  }
  return {
    async report(granted) {
      const rows = await owner.query<{ q: string; calls: string; ms: number }>(
        // Grouped by their start: the chainer's update has a VALUES list per batch size.
        `select left(regexp_replace(query, '\\s+', ' ', 'g'), 90) as q, sum(calls) as calls, sum(total_exec_time + total_plan_time) as ms
           from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
          group by 1 order by ms desc limit 10`,
      );
      const lines = ['| statement (pg_stat_statements, measured window) | calls per detokenization | ms per detokenization |', '|---|---|---|'];
      for (const r of rows.rows) lines.push(`| \`${r.q.replace(/\|/g, '\\|')}…\` | ${(Number(r.calls) / granted).toFixed(2)} | ${(r.ms / granted).toFixed(3)} |`);
      return lines;
    },
  };
}

runMain(main);
