import { type Kysely, sql } from 'kysely';

/**
 * Monthly partitions of the two tables that grow with every payment (migration 0021): the
 * audit log by `at`, cryptogram issuances by `issued_at` (docs/scaling.md, "Partitioning").
 * A row can only be inserted where a partition exists, and the service role cannot create
 * tables, so the owner creates them ahead: every migration run (`opentsp serve` and
 * `opentsp migrate` at start), and `opentsp serve` every 6 hours, makes sure the current month
 * and the next `monthsAhead` of each table's policy exist.
 * A DEFAULT partition catches anything outside them, so an insert never fails for want of a
 * partition; a month whose rows already sit in DEFAULT is left to the operator (logged), since
 * creating it would mean moving append-only rows (docs/operations.md, "Monthly partitions: maintenance").
 */
export const PARTITIONED_TABLES = [
  // The audit log only takes inserts on the hot path (routed to one partition) and keeps its
  // months attached: `opentsp audit verify` walks the chain across them.
  { table: 'audit_entries', column: 'at', monthsAhead: 12, attachedMonthsBehind: null },
  // Detokenize reads and consumes an issuance by (token_ref, atc), without its month. A named
  // prepared statement runs a generic plan, and Postgres 15 locks every partition of a generic
  // plan (and opens every partition's index) on each execution: with 14 partitions each statement took
  // 35 relation locks, past the 16 a backend takes on the lock fast path, and the bench's
  // detokenize SQL floor fell from 1,139/s to 664/s (docs/benchmarks.md). So the issuances keep
  // four partitions attached (last month, this month, next month, DEFAULT): a cryptogram lives at
  // most a day (OPENTSP_CRYPTOGRAM_TTL_SECONDS), so an older month holds only expired or consumed
  // issuances, and is detached as a table of its own for the operator to archive (nothing is
  // deleted; a replay of such an ATC finds no issuance and is refused as an invalid cryptogram).
  { table: 'cryptogram_issuances', column: 'issued_at', monthsAhead: 1, attachedMonthsBehind: 1 },
] as const;

export type PartitionedTable = (typeof PARTITIONED_TABLES)[number]['table'];

/** The partition policy of `table`. */
export function partitionPolicy(table: PartitionedTable): (typeof PARTITIONED_TABLES)[number] {
  return PARTITIONED_TABLES.find((t) => t.table === table)!;
}

/** Months of the audit log created ahead of the current one at every start. */
export const MONTHS_AHEAD = partitionPolicy('audit_entries').monthsAhead;

/** `audit_entries_y2026m12`: the partition holding December 2026 (UTC). */
export function partitionName(table: string, month: Date): string {
  return `${table}_y${month.getUTCFullYear()}m${String(month.getUTCMonth() + 1).padStart(2, '0')}`;
}

function monthStart(date: Date, offset = 0): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + offset, 1));
}

/**
 * Creates the monthly partitions of `table` from `from`'s month through `monthsAhead` months
 * after `now`'s, and its DEFAULT partition; returns the months it could not create because
 * rows for them already sit in the DEFAULT partition. Idempotent; run as the owner.
 */
export async function ensureMonthlyPartitions(
  db: Kysely<any>,
  table: PartitionedTable,
  options: { now?: Date; from?: Date; monthsAhead?: number } = {},
): Promise<string[]> {
  const now = options.now ?? new Date();
  const { column, monthsAhead } = partitionPolicy(table);
  const first = monthStart(options.from && options.from < now ? options.from : now);
  const last = monthStart(now, options.monthsAhead ?? monthsAhead);
  await sql`create table if not exists ${sql.id(`${table}_default`)} partition of ${sql.id(table)} default`.execute(db);
  const existing = new Set(
    (await sql<{ name: string }>`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = ${table}::regclass`.execute(db)).rows.map((r) => r.name),
  );
  const blocked: string[] = [];
  for (let month = first; month <= last; month = monthStart(month, 1)) {
    const name = partitionName(table, month);
    if (existing.has(name)) continue;
    const next = monthStart(month, 1);
    const stray = await sql<{ n: number }>`select count(*)::int as n from ${sql.id(`${table}_default`)}
      where ${sql.id(column)} >= ${month} and ${sql.id(column)} < ${next}`.execute(db);
    if (stray.rows[0]!.n > 0) {
      blocked.push(name);
      continue;
    }
    await sql`create table if not exists ${sql.id(name)} partition of ${sql.id(table)}
      for values from (${sql.lit(month.toISOString())}) to (${sql.lit(next.toISOString())})`.execute(db);
  }
  return blocked;
}

/** Every partition of `table` (the service role's grants are revoked on the audit log's). */
export async function partitionsOf(db: Kysely<any>, table: PartitionedTable): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = to_regclass(${table}) order by 1`.execute(db);
  return rows.map((r) => r.name);
}

/**
 * Trims the attached monthly partitions of `table` to its policy: months older than it keeps
 * are detached (they stay as tables of their own, same name, rows intact); empty months further
 * ahead than it creates (made by an earlier policy: migration 0021 created 12 ahead) are
 * dropped. Returns what it detached and dropped. Each takes a brief ACCESS EXCLUSIVE lock on
 * the parent, only when there is something to do (about once a month). Run as the owner.
 */
export async function trimPartitions(db: Kysely<any>, table: PartitionedTable, now = new Date()): Promise<{ detached: string[]; dropped: string[] }> {
  const { attachedMonthsBehind, monthsAhead } = partitionPolicy(table);
  if (attachedMonthsBehind === null) return { detached: [], dropped: [] };
  const oldestKept = partitionName(table, monthStart(now, -attachedMonthsBehind));
  const newestKept = partitionName(table, monthStart(now, monthsAhead));
  const monthly = new RegExp(`^${table}_y\\d{4}m\\d{2}$`);
  // Names sort by month (`_y2026m11` < `_y2026m12`), so "older" is a string comparison.
  const attached = (await partitionsOf(db, table)).filter((name) => monthly.test(name));
  const detached = attached.filter((name) => name < oldestKept);
  for (const name of detached) await sql`alter table ${sql.id(table)} detach partition ${sql.id(name)}`.execute(db);
  const dropped: string[] = [];
  for (const name of attached.filter((n) => n > newestKept)) {
    const rows = await sql<{ n: number }>`select count(*)::int as n from (select 1 from ${sql.id(name)} limit 1) one`.execute(db);
    if (rows.rows[0]!.n > 0) continue; // a row from the future: left attached for the operator
    await sql`drop table ${sql.id(name)}`.execute(db);
    dropped.push(name);
  }
  return { detached, dropped };
}

export interface PartitionMaintenance {
  /** Months that could not be created: their rows already sit in the DEFAULT partition. */
  blocked: string[];
  /** Partitions detached from the hot path this run (their rows kept in tables of their own). */
  detached: string[];
  /** Empty partitions further ahead than the policy creates, dropped this run. */
  dropped: string[];
}

/** Creates the coming months' partitions of every partitioned table and trims the attached ones to its policy (each migration run, and every 6 hours in `opentsp serve`). */
export async function ensureAllPartitions(db: Kysely<any>, now = new Date()): Promise<PartitionMaintenance> {
  const result: PartitionMaintenance = { blocked: [], detached: [], dropped: [] };
  for (const { table } of PARTITIONED_TABLES) {
    const partitioned = await sql<{ n: number }>`select count(*)::int as n from pg_partitioned_table where partrelid = to_regclass(${table})`.execute(db);
    if (partitioned.rows[0]!.n === 0) continue;
    result.blocked.push(...(await ensureMonthlyPartitions(db, table, { now })));
    const trimmed = await trimPartitions(db, table, now);
    result.detached.push(...trimmed.detached);
    result.dropped.push(...trimmed.dropped);
  }
  return result;
}
