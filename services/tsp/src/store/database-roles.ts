import { createHmac } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { partitionsOf } from './partitions';

/**
 * The two database roles (DESIGN §4, docs/operations.md "Database roles"):
 * - the owner owns the schema and runs migrations;
 * - the service role, which the running TSP uses, may read and write the tables it works on
 *   but may not alter any of them, and on the audit log may only insert and read: no UPDATE
 *   (except the three chain columns, below), DELETE, TRUNCATE, ALTER or trigger changes. A
 *   superuser or the owner bypasses all of that, hence a separate, non-superuser login role.
 *
 * Why a column grant and not an insert-only chain table: the background chainer fills `seq`,
 * `prev_hash` and `hash` of rows appended unchained (the hot path stays one INSERT with no
 * lock). The service role may UPDATE only those three columns, and the append-only trigger
 * (migration 0002) refuses any update of a row once chained and any change to the entry
 * itself; the service role cannot switch the trigger off (it does not own the table). What
 * it could still do, set bogus chain values on a not-yet-chained row, breaks the keyed chain
 * and shows in `audit verify`. This keeps the contract's AuditEntry (seq and hashes on the
 * entry) and the partial index the chainer uses, with no second table to join.
 */

/** The service role the TSP creates for itself when given only the owner's URL. */
export const DEFAULT_SERVICE_ROLE = 'opentsp_service';

/** Append-only for the service role: insert and read. */
const AUDIT_TABLES = ['audit_entries', 'audit_checkpoints'];
/** Migration bookkeeping: the owner's business only. */
const OWNER_ONLY_TABLES = ['opentsp_migrations', 'opentsp_migrations_lock'];
const JOB_QUEUE_SCHEMA = 'graphile_worker';

const ident = (name: string) => sql.id(name);

/**
 * Grants the service role what it needs on every table and sequence now present (run after
 * each migration, as the owner, under the migration lock; idempotent).
 */
export async function grantServiceRole(db: Kysely<any>, role: string): Promise<void> {
  const r = ident(role);
  const { name: database, me } = (await sql<{ name: string; me: string }>`select current_database() as name, current_user as me`.execute(db)).rows[0]!;
  // Revoking the audit rights of the owner itself would leave the schema half-owned.
  if (me === role) throw new Error(`DATABASE_URL and DATABASE_OWNER_URL both connect as "${role}": the service needs a role of its own (docs/operations.md)`);
  await sql`grant connect on database ${ident(database)} to ${r}`.execute(db);
  for (const schema of ['public', JOB_QUEUE_SCHEMA]) {
    const s = ident(schema);
    await sql`grant usage on schema ${s} to ${r}`.execute(db);
    await sql`grant select, insert, update, delete on all tables in schema ${s} to ${r}`.execute(db);
    await sql`revoke truncate, references, trigger on all tables in schema ${s} from ${r}`.execute(db);
    await sql`grant usage, select, update on all sequences in schema ${s} to ${r}`.execute(db);
    await sql`grant execute on all functions in schema ${s} to ${r}`.execute(db);
  }
  // graphile-worker turns row-level security on for its private tables (with no policy, so
  // only their owner sees rows); the service role runs the job queue, so it gets a policy.
  const secured = await sql<{ table: string }>`
    select c.relname as table from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = ${JOB_QUEUE_SCHEMA} and c.relkind = 'r' and c.relrowsecurity
       and not exists (select 1 from pg_policies p where p.schemaname = n.nspname and p.tablename = c.relname and p.policyname = ${role})`.execute(db);
  for (const { table } of secured.rows) {
    await sql`create policy ${r} on ${ident(JOB_QUEUE_SCHEMA)}.${ident(table)} for all to ${r} using (true) with check (true)`.execute(db);
  }
  for (const table of OWNER_ONLY_TABLES) await sql`revoke all on table ${ident(table)} from ${r}`.execute(db);
  for (const table of AUDIT_TABLES) {
    // Revoking table-level UPDATE also drops column grants, so the chain columns come after.
    await sql`revoke all on table ${ident(table)} from ${r}`.execute(db);
    await sql`grant select, insert on table ${ident(table)} to ${r}`.execute(db);
  }
  await sql`grant update (seq, prev_hash, hash) on table audit_entries to ${r}`.execute(db);
  // Its monthly partitions (migration 0021) are reached through audit_entries only, whose
  // rights are checked there: none on the partitions themselves.
  for (const partition of await partitionsOf(db, 'audit_entries')) await sql`revoke all on table ${ident(partition)} from ${r}`.execute(db);
}

/**
 * Creates the service role when missing (single-URL mode: development, tests, CI), as a plain
 * login role: no superuser, no CREATEDB / CREATEROLE / BYPASSRLS. Roles are cluster-wide and
 * the migration lock is per database, so processes on other databases of the same cluster
 * may race here: "already exists" from the loser is success.
 */
export async function ensureServiceRole(db: Kysely<any>, role: string, password: string): Promise<void> {
  const exists = await sql<{ n: number }>`select count(*)::int as n from pg_roles where rolname = ${role}`.execute(db);
  if (exists.rows[0]!.n > 0) return;
  try {
    await sql`create role ${ident(role)} login nosuperuser nocreatedb nocreaterole nobypassrls noreplication password ${sql.lit(password)}`.execute(db);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '42710' || code === '23505') return; // created by a concurrent process
    if (code === '42501') {
      throw new Error(
        `the database role of DATABASE_URL cannot create the service role "${role}": give it CREATEROLE, ` +
          'or create a restricted role yourself and set DATABASE_URL to it with DATABASE_OWNER_URL for migrations (docs/operations.md)',
      );
    }
    throw err;
  }
}

/** Resets the service role's password (its derived password no longer matches). */
export async function resetServiceRolePassword(db: Kysely<any>, role: string, password: string): Promise<void> {
  await sql`alter role ${ident(role)} password ${sql.lit(password)}`.execute(db);
}

/**
 * The service role's password in single-URL mode, derived from the owner's credentials and
 * server (not the database name: the role is cluster-wide, and TSPs on several databases of
 * one cluster, like the test suite's, must agree on it). Every process given the same URL
 * derives the same one, so processes starting together agree without sharing state; whoever
 * holds the owner URL can run as the owner anyway.
 */
export function derivedServicePassword(ownerUrl: string): string {
  const { username, password, host } = new URL(ownerUrl);
  return createHmac('sha256', `${username}:${password}@${host}`).update('opentsp service role v1').digest('base64url');
}

/** `url` with another user and password. */
export function withCredentials(url: string, user: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(user);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

/**
 * Refuses to run the service as a role that could rewrite the audit log: a superuser, the
 * owner of the audit table, or one holding UPDATE, DELETE or TRUNCATE on it.
 */
export async function assertRestrictedServiceRole(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ role: string; superuser: boolean; owner: boolean; writable: boolean }>`
    select current_user as role,
           (select rolsuper from pg_roles where rolname = current_user) as superuser,
           pg_has_role(current_user, (select tableowner from pg_tables where schemaname = 'public' and tablename = 'audit_entries'), 'USAGE') as owner,
           has_table_privilege('audit_entries', 'UPDATE') or has_table_privilege('audit_entries', 'DELETE')
             or has_table_privilege('audit_entries', 'TRUNCATE')
             or exists (select 1 from pg_inherits i where i.inhparent = 'audit_entries'::regclass
                          and (has_table_privilege(i.inhrelid, 'UPDATE') or has_table_privilege(i.inhrelid, 'DELETE')
                               or has_table_privilege(i.inhrelid, 'TRUNCATE'))) as writable`.execute(db);
  const row = rows[0]!;
  if (row.superuser || row.owner || row.writable) {
    throw new Error(
      `refusing to run the service as database role "${row.role}": it is ${row.superuser ? 'a superuser' : row.owner ? 'the owner of the audit log' : 'allowed to update, delete or truncate the audit log'}. ` +
        'Set DATABASE_URL to a restricted role and DATABASE_OWNER_URL to the owner (docs/operations.md, "Database roles")',
    );
  }
}
