import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
// The test suite's lock-protected build (reused when current): the bench's own
// `buildCompiledTsp` rewrites dist/ in place, under any TSP or test running from it.
import { ensureTspBuild, TSP_DIST_MAIN } from '../../../../test/support/tsp-build';
import { runMain } from '../environment';
import { runLoad } from '../load';
import { accessToken, detokenizeBodies } from '../pregenerate';
import { seedBench, type SeededBench } from '../seeded-bench';

/**
 * Does the TSP's own detokenize slow down as the audit log grows (docs/scaling.md)?
 *   pnpm --filter @opentsp/tsp exec tsx bench/audit-growth/detokenize.ts [TOTAL=50000000] [CURRENT=1000000] [ROUNDS=3] [SECONDS=10]
 *
 * What it measures: `POST /v1/detokenize` over HTTP against a compiled `opentsp serve --workers 2`
 * (dist/main.js, rebuilt only when its sources changed), 32 connections, closed loop, one fresh
 * cryptogram per request (made after the fill: a cryptogram lives 10 minutes), on ONE database
 * in two states:
 *   all      audit_entries holds TOTAL filled rows (+ the seeding's and the runs' own): CURRENT in
 *            this month's partition, the rest spread evenly over the 12 previous months' partitions;
 *   current  the same database with those 12 older partitions detached (metadata only: each has
 *            its month's CHECK constraint, so re-attaching does not scan it).
 * The filled rows are chained (seq, prev_hash, hash set; hashes not real), with pk/seq above
 * the seeding's, the current month's highest, so the chain head stays in the current month and
 * the TSP's chainer continues after it. Detach/attach run as the owner, only between runs.
 * Runs alternate all, current, current, all, … so the shared machine's drift falls on both.
 *
 * How to read it: one CSV line per run (state, attached_rows, round, rps, p50_ms, p99_ms,
 * errors, load1 = /proc/loadavg's 1-minute average just after the run). Compare the two states'
 * medians: a ratio near 1 (within the spread of the same state's runs) means 50x the audit
 * rows cost detokenize nothing measurable. Lines starting `#` report the fill (time, size on
 * disk), the state changes, and at the end the unchained audit entries (rows the TSP's chainer
 * had not linked yet: `seq is null`) and the chainer's head-of-chain query (EXPLAIN ANALYZE,
 * median of 5) in both states. Any failed or non-200 request fails the run. The database is
 * dropped and every process stopped at the end, also on error or Ctrl-C.
 * DATABASE_URL: the Postgres server (default the local one; only 127.0.0.1); the fill needs
 * about 0.6 GB of disk per million rows.
 */
process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
const TOTAL = Number(process.argv[2] ?? 50_000_000);
const CURRENT = Number(process.argv[3] ?? 1_000_000);
const ROUNDS = Number(process.argv[4] ?? 3);
const SECONDS = Number(process.argv[5] ?? 10);
const CONNECTIONS = 32;
const WARMUP_SECONDS = 3;
// Each request consumes a body. Detokenize ran at up to 815/s here (the 50 M run of
// 2026-12-07, which used 44,243 of the 47,250 bodies 500/s gave): 1,000/s x 1.5.
const EXPECTED_RPS = Number(process.env.EXPECTED_RPS ?? 1_000);
const MARGIN = 1.5;
const BODIES = Math.ceil((ROUNDS * 2 * SECONDS + WARMUP_SECONDS) * EXPECTED_RPS * MARGIN);
if (!(TOTAL >= CURRENT && CURRENT >= 0 && ROUNDS >= 1 && SECONDS >= 1)) throw new Error('usage: detokenize.ts [TOTAL] [CURRENT] [ROUNDS] [SECONDS]');

const say = (line: string) => process.stdout.write(`${line}\n`);
const load1 = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!;
const monthStart = (offset: number) => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
};
const nextMonth = (m: Date) => new Date(Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1));
const partName = (m: Date) => `audit_entries_y${m.getUTCFullYear()}m${String(m.getUTCMonth() + 1).padStart(2, '0')}`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function owner(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // Month names and bounds in UTC, as store/partitions.ts makes them.
  await client.query(`set timezone = 'UTC'`);
  return client;
}

let cleanup: (() => Promise<void>) | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.stderr.write(`${signal}: cleaning up\n`);
    void (cleanup ?? (async () => undefined))().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const built = await ensureTspBuild();
  say(`# TSP: ${path.relative(process.cwd(), TSP_DIST_MAIN)} (${built}); TOTAL ${TOTAL}, CURRENT ${CURRENT}, ${ROUNDS} rounds of ${SECONDS} s at ${CONNECTIONS} connections`);
  let bench: SeededBench | undefined;
  const clients: pg.Client[] = [];
  let disposed = false;
  cleanup = async () => {
    if (disposed) return;
    disposed = true;
    for (const c of clients) await c.end().catch(() => undefined);
    await bench?.dispose();
  };
  try {
    let t = Date.now();
    bench = await seedBench({ name: 'audit-growth', tokens: 5_000 });
    const { services, parties, tokens } = bench;
    await services.audit.flush();
    say(`# seeded ${tokens.length} tokens in ${((Date.now() - t) / 1000).toFixed(0)} s`);

    // --- Fill, as the owner (the migrations' role: the bench database's URL).
    const url = bench.env.DATABASE_URL!;
    const db = await owner(url);
    clients.push(db);
    await db.query(readFileSync(path.join(__dirname, 'fill.sql'), 'utf8'));
    const seeded = (await db.query<{ pk: string; seq: string; n: string }>('select max(pk) as pk, max(seq) as seq, count(*) as n from audit_entries')).rows[0]!;
    const unchainedBefore = Number((await db.query<{ n: string }>('select count(*) as n from audit_entries where seq is null')).rows[0]!.n);
    if (unchainedBefore) throw new Error(`${unchainedBefore} seeded audit entries left unchained after flush`);
    const current = monthStart(0);
    const old = Array.from({ length: 12 }, (_, i) => monthStart(i - 12)); // oldest first
    const oldRows = Math.floor((TOTAL - CURRENT) / 12);
    const oldTotal = oldRows * 12;
    // pk and seq share the range (fill_month writes g to both): above both maxima, oldest month first.
    let next = Math.max(Number(seeded.pk ?? 0), Number(seeded.seq ?? 0)) + 1;
    const jobs: Array<{ label: string; sql: string; params: unknown[] }> = [];
    for (const m of old) {
      if (oldRows > 0) jobs.push({ label: partName(m), sql: 'call fill_month($1::timestamptz, $2::bigint, $3::bigint)', params: [m.toISOString(), oldRows, next] });
      next += oldRows;
    }
    // This month's partition already exists (the migration made it) and holds the seeding's
    // chained entries, which fill_month would drop: the same rows (insert_audit_rows, fill.sql) go
    // in through the parent, at times from the month's start to just before the seeding, with the
    // highest pk/seq (the chain head).
    const { step } = (await db.query<{ step: string }>(
      `select greatest((select coalesce(min(at), now()) from audit_entries where at >= $1::timestamptz) - $1::timestamptz - interval '1 minute', interval '0')
         / greatest($2::bigint, 1) as step`,
      [current.toISOString(), CURRENT],
    )).rows[0]!;
    jobs.push({
      label: `${partName(current)} (existing)`,
      sql: `call insert_audit_rows('audit_entries', $1::timestamptz, $2::interval, $3::bigint, $4::bigint)`,
      params: [current.toISOString(), step, CURRENT, next],
    });
    const lastPk = next + CURRENT - 1;
    t = Date.now();
    const workers = await Promise.all([owner(url), owner(url)]);
    clients.push(...workers);
    let j = 0;
    // Two months at a time, as run.sh (the fill is CPU-bound; the attaches queue on the parent's lock).
    await Promise.all(
      workers.map(async (c) => {
        for (let job = jobs[j++]; job; job = jobs[j++]) {
          const started = Date.now();
          await c.query(job.sql, job.params);
          process.stderr.write(`  filled ${job.label} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
        }
      }),
    );
    const fillSeconds = (Date.now() - t) / 1000;
    await db.query(`select setval('audit_entries_pk_seq', $1::bigint)`, [lastPk]);
    t = Date.now();
    await db.query('vacuum analyze audit_entries');
    await db.query('checkpoint');
    const vacuumSeconds = (Date.now() - t) / 1000;
    const size = (await db.query<{ size: string; n: number }>(
      `select pg_size_pretty(sum(pg_total_relation_size(inhrelid))) as size, count(*)::int as n from pg_inherits where inhparent = 'audit_entries'::regclass`,
    )).rows[0]!;
    say(`# filled ${oldTotal + CURRENT} rows (${oldRows} in each of ${old[0]!.toISOString().slice(0, 7)}..${old[11]!.toISOString().slice(0, 7)}, ${CURRENT} in ${current.toISOString().slice(0, 7)} beside the seeding's ${seeded.n}; pk/seq ${lastPk - oldTotal - CURRENT + 1}..${lastPk}) in ${fillSeconds.toFixed(0)} s; vacuum analyze + checkpoint ${vacuumSeconds.toFixed(0)} s; on disk ${size.size} in ${size.n} partitions`);

    // --- The two states (owner, between runs only; lock_timeout: fail rather than hang).
    await db.query(`set lock_timeout = '30s'`);
    let state: 'all' | 'current' = 'all';
    const setState = async (want: 'all' | 'current') => {
      if (state === want) return;
      const started = Date.now();
      await db.query('begin');
      try {
        for (const m of old) {
          if (oldRows === 0) continue;
          if (want === 'current') await db.query(`alter table audit_entries detach partition ${partName(m)}`);
          else await db.query(`alter table audit_entries attach partition ${partName(m)} for values from ('${m.toISOString()}') to ('${nextMonth(m).toISOString()}')`);
        }
        await db.query('commit');
      } catch (err) {
        await db.query('rollback');
        throw err;
      }
      state = want;
      const attached = (await db.query<{ n: number }>(`select count(*)::int as n from pg_inherits where inhparent = 'audit_entries'::regclass`)).rows[0]!.n;
      say(`# ${want === 'current' ? 'detached' : 'attached'} the 12 old months in ${Date.now() - started} ms: ${attached} partitions attached`);
    };
    const attachedRows = async () =>
      Number((await db.query<{ n: string }>('select count(*) as n from audit_entries where at >= $1', [current.toISOString()])).rows[0]!.n) + (state === 'all' ? oldTotal : 0);

    // --- One compiled TSP cluster for every run.
    t = Date.now();
    const tsp = await bench.start(TSP_DIST_MAIN, ['serve', '--workers', '2']);
    say(`# TSP cluster ready in ${((Date.now() - t) / 1000).toFixed(0)} s`);
    // The bodies only now: a cryptogram lives OPENTSP_CRYPTOGRAM_TTL_SECONDS (600 s), less than
    // the fill takes. Their issuances' audit entries go on top of the filled chain head.
    t = Date.now();
    const bodies = await detokenizeBodies(services, parties.wallet, tokens, BODIES);
    // Chain them now, else the TSP's chainer works through that backlog during the runs.
    await services.audit.flush();
    await bench.closeSeeding();
    say(`# made ${bodies.made} detokenize bodies (fresh cryptograms) in ${((Date.now() - t) / 1000).toFixed(0)} s`);
    const token = await accessToken(tsp.url, parties.acquirer.clientId, parties.acquirer.clientSecret);
    const load = (name: string, seconds: number) =>
      runLoad({ name, url: `${tsp.url}/v1/detokenize`, method: 'POST', headers: { authorization: `Bearer ${token}` }, connections: CONNECTIONS, durationSeconds: seconds, body: bodies.next });
    const warm = await load('warm-up', WARMUP_SECONDS);
    say(`# warm-up (not counted, state all): ${warm.rps}/s, errors ${warm.errors + warm.non2xx}`);
    if (warm.errors + warm.non2xx) throw new Error(`warm-up: ${warm.errors} errors, ${warm.non2xx} non-2xx`);

    const rps: Record<string, number[]> = { all: [], current: [] };
    const loads: string[] = [];
    say('state,attached_rows,round,rps,p50_ms,p99_ms,errors,load1');
    for (let r = 1; r <= ROUNDS; r++) {
      for (const want of r % 2 ? (['all', 'current'] as const) : (['current', 'all'] as const)) {
        await setState(want);
        const rows = await attachedRows();
        const res = await load(want, SECONDS);
        const errors = res.errors + res.non2xx;
        const l1 = load1();
        loads.push(l1);
        rps[want]!.push(res.rps);
        say(`${want},${rows},${r},${res.rps},${res.p50},${res.p99},${errors},${l1}`);
        if (errors) throw new Error(`${want} round ${r}: ${res.errors} errors, ${res.non2xx} non-2xx (bodies used ${bodies.used()} of ${bodies.made})`);
      }
    }
    if (bodies.used() > bodies.made) throw new Error(`bodies replayed: used ${bodies.used()} of ${bodies.made}`);
    const unchained = Number((await db.query<{ n: string }>('select count(*) as n from audit_entries where seq is null')).rows[0]!.n);
    say(`# bodies used ${bodies.used()} of ${bodies.made}; audit entries left unchained (seq is null) just after the last run: ${unchained}`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const unchainedLater = Number((await db.query<{ n: string }>('select count(*) as n from audit_entries where seq is null')).rows[0]!.n);
    say(`# unchained 2 s later: ${unchainedLater}`);

    // --- The chainer's head-of-chain query (store/audit.repository.ts chainPending / head), both states.
    const headQuery = 'select "seq", "hash" from "audit_entries" where "seq" is not null order by "seq" desc limit 1';
    for (const want of [state, state === 'all' ? 'current' : 'all'] as const) {
      await setState(want);
      const runs: Array<{ plan: number; exec: number }> = [];
      let text = '';
      for (let i = 0; i < 5; i++) {
        const out = (await db.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${headQuery}`)).rows.map((row) => row['QUERY PLAN']);
        const grab = (label: string) => Number(out.find((l) => l.startsWith(label))?.match(/([\d.]+) ms/)?.[1] ?? NaN);
        runs.push({ plan: grab('Planning Time'), exec: grab('Execution Time') });
        text = out.join('\n');
      }
      const scans = (text.match(/Index (Only )?Scan Backward/g) ?? []).length;
      say(`# head query, ${want} (${await attachedRows()} rows): planning ${median(runs.map((x) => x.plan)).toFixed(3)} ms, execution ${median(runs.map((x) => x.exec)).toFixed(3)} ms (median of 5; first ${runs[0]!.plan.toFixed(3)} + ${runs[0]!.exec.toFixed(3)} ms); ${scans} backward index scans`);
      for (const line of text.split('\n').slice(0, 4)) say(`#   ${line}`);
    }

    const mAll = median(rps.all!);
    const mCur = median(rps.current!);
    say(`# median rps: all ${mAll}, current ${mCur}; all/current ${(mAll / Math.max(1, mCur)).toFixed(3)}; load1 seen ${loads.join(' ')}`);
  } finally {
    await cleanup();
  }
}

runMain(main);
