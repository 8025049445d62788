import { type Kysely, sql } from 'kysely';
import { ensureMonthlyPartitions, type PartitionedTable } from '../partitions';

/**
 * The two tables every payment appends to, partitioned by month with native partitioning
 * (docs/scaling.md, "Partitioning"): the audit log by `at`, cryptogram issuances by
 * `issued_at`. An old month is then detached and archived as a whole instead of deleted row by
 * row, and no index grows without bound. Same columns, same names, same insert statements.
 *
 * What partitioning changes: a unique key must contain the partition key, so
 * - audit_entries: primary key (pk, at), unique (id, at), unique (seq, at). `pk` and `seq` stay
 *   unique by construction (one sequence; one chainer under an advisory lock) and
 *   `audit verify` refuses a repeated or missing `seq`; `id` is 96 random bits.
 * - cryptogram_issuances: primary key (token_ref, atc, issued_at). The replay guard is the
 *   token's ATC counter (`tokens.last_atc`, incremented in the issuing statement: an ATC is
 *   handed out once) and `used_at is null` in the consuming UPDATE, which both hold as before.
 * The append-only trigger is created on the partitioned table, so Postgres clones it onto every
 * partition, present and future; the service role's grants are on the parent (and revoked on
 * the partitions: store/database-roles.ts). Existing rows are copied; on a large log this
 * migration takes as long as rewriting it (plan a window: docs/scaling.md).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const owner = db as Kysely<any>;
  await setAside(owner, 'audit_entries');
  await sql`
    create table audit_entries (
      pk bigint not null default nextval('audit_entries_pk_seq'),
      id text not null,
      seq bigint,
      at timestamptz not null,
      actor jsonb not null,
      action text not null,
      subject_type text not null,
      subject_id text not null,
      outcome text not null check (outcome in ('success', 'denied', 'failed')),
      details jsonb not null,
      request_id text,
      prev_hash text,
      hash text,
      constraint audit_entries_pkey primary key (pk, at),
      constraint audit_entries_id_key unique (id, at),
      constraint audit_entries_seq_key unique (seq, at)
    ) partition by range (at)`.execute(db);
  await sql`alter sequence audit_entries_pk_seq owned by audit_entries.pk`.execute(db);
  await sql`create index audit_entries_unchained on audit_entries (pk) where seq is null`.execute(db);
  await sql`create index audit_entries_subject on audit_entries (subject_type, subject_id)`.execute(db);
  await sql`create trigger audit_entries_append_only before update or delete on audit_entries
    for each row execute function audit_entries_guard()`.execute(db);
  const auditColumns = sql.raw('pk, id, seq, at, actor, action, subject_type, subject_id, outcome, details, request_id, prev_hash, hash');
  await copyBack(owner, 'audit_entries', 'at', sql`insert into audit_entries (${auditColumns})
    select ${auditColumns} from audit_entries_unpartitioned order by pk`);

  await setAside(owner, 'cryptogram_issuances');
  await sql`
    create table cryptogram_issuances (
      token_ref text not null,
      atc integer not null check (atc between 1 and 65535),
      amount bigint not null,
      currency text not null,
      merchant_id text not null,
      channel text not null,
      transaction_type text not null,
      unpredictable_number text,
      issued_at timestamptz not null default now(),
      expires_at timestamptz not null,
      used_at timestamptz,
      constraint cryptogram_issuances_pk primary key (token_ref, atc, issued_at)
    ) partition by range (issued_at)`.execute(db);
  const issuanceColumns = sql.raw(
    'token_ref, atc, amount, currency, merchant_id, channel, transaction_type, unpredictable_number, issued_at, expires_at, used_at',
  );
  await copyBack(owner, 'cryptogram_issuances', 'issued_at', sql`insert into cryptogram_issuances (${issuanceColumns})
    select ${issuanceColumns} from cryptogram_issuances_unpartitioned`);
}

/** Renames `table` and its indexes out of the way (`<table>_unpartitioned`, `<index>_old`). */
async function setAside(db: Kysely<any>, table: PartitionedTable): Promise<void> {
  await sql`alter table ${sql.id(table)} rename to ${sql.id(`${table}_unpartitioned`)}`.execute(db);
  const { rows } = await sql<{ name: string }>`select indexname as name from pg_indexes
    where schemaname = current_schema() and tablename = ${`${table}_unpartitioned`}`.execute(db);
  for (const { name } of rows) await sql`alter index ${sql.id(name)} rename to ${sql.id(`${name}_old`)}`.execute(db);
}

/** Creates the partitions the old rows need (and the coming months'), copies them, drops the old table. */
async function copyBack(db: Kysely<any>, table: PartitionedTable, column: string, copy: ReturnType<typeof sql>): Promise<void> {
  const old = sql.id(`${table}_unpartitioned`);
  const oldest = (await sql<{ first: Date | null }>`select min(${sql.id(column)}) as first from ${old}`.execute(db)).rows[0]?.first;
  await ensureMonthlyPartitions(db, table, oldest ? { from: oldest } : {});
  await copy.execute(db);
  await sql`drop table ${old}`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Back to plain tables (rows kept), as migrations 0002, 0009 and 0015 left them.
  await sql`alter table audit_entries rename to audit_entries_partitioned`.execute(db);
  await sql`create table audit_entries (like audit_entries_partitioned including defaults including constraints)`.execute(db);
  await sql`alter table audit_entries add primary key (pk), add unique (id), add unique (seq)`.execute(db);
  await sql`alter sequence audit_entries_pk_seq owned by audit_entries.pk`.execute(db);
  await sql`insert into audit_entries select * from audit_entries_partitioned order by pk`.execute(db);
  await sql`drop table audit_entries_partitioned`.execute(db);
  await sql`create index audit_entries_unchained on audit_entries (pk) where seq is null`.execute(db);
  await sql`create index audit_entries_subject on audit_entries (subject_type, subject_id)`.execute(db);
  await sql`create trigger audit_entries_append_only before update or delete on audit_entries
    for each row execute function audit_entries_guard()`.execute(db);
  await sql`alter table cryptogram_issuances rename to cryptogram_issuances_partitioned`.execute(db);
  await sql`create table cryptogram_issuances (like cryptogram_issuances_partitioned including defaults including constraints)`.execute(db);
  await sql`alter table cryptogram_issuances add constraint cryptogram_issuances_pk primary key (token_ref, atc)`.execute(db);
  await sql`insert into cryptogram_issuances select * from cryptogram_issuances_partitioned`.execute(db);
  await sql`drop table cryptogram_issuances_partitioned`.execute(db);
}
