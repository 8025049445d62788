import { type Kysely, sql } from 'kysely';

/**
 * Monthly partitions of the two tables that grow with every payment (migration 0021): the
 * audit log by `at`, cryptogram issuances by `issued_at` (docs/scaling.md, "Partitioning").
 * A row can only be inserted where a partition exists, and the service role cannot create
 * tables, so the owner creates them ahead: every migration run (`opentsp serve` and
 * `opentsp migrate` at start) makes sure the current month and the next `monthsAhead` exist.
 * A DEFAULT partition catches anything outside them, so an insert never fails for want of a
 * partition; a month whose rows already sit in DEFAULT is left to the operator (logged), since
 * creating it would mean moving append-only rows (docs/operations.md, "Postgres settings").
 */
export const PARTITIONED_TABLES = [
  { table: 'audit_entries', column: 'at' },
  { table: 'cryptogram_issuances', column: 'issued_at' },
] as const;

export type PartitionedTable = (typeof PARTITIONED_TABLES)[number]['table'];

/** Months created ahead of the current one at every start. */
export const MONTHS_AHEAD = 12;

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
  const column = PARTITIONED_TABLES.find((t) => t.table === table)!.column;
  const first = monthStart(options.from && options.from < now ? options.from : now);
  const last = monthStart(now, options.monthsAhead ?? MONTHS_AHEAD);
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

/** Creates the coming months' partitions of every partitioned table (each migration run). */
export async function ensureAllPartitions(db: Kysely<any>, now = new Date()): Promise<string[]> {
  const blocked: string[] = [];
  for (const { table } of PARTITIONED_TABLES) {
    const partitioned = await sql<{ n: number }>`select count(*)::int as n from pg_partitioned_table where partrelid = to_regclass(${table})`.execute(db);
    if (partitioned.rows[0]!.n > 0) blocked.push(...(await ensureMonthlyPartitions(db, table, { now })));
  }
  return blocked;
}
