import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { createAuditLog } from '../../src/audit/audit-log';
import { createLogger } from '../../src/observability/logger';
import { openServiceDatabase } from '../../src/store/service-database';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';

const logger = createLogger({ level: 'silent' });
const entry = { actor: { type: 'cli' as const }, action: 'token.suspend', subject: { type: 'token', id: 'tok_0000000000000001' }, outcome: 'success' as const };

/** Every way to rewrite history, each of which the service role must be refused. */
const REWRITES = [
  sql`update audit_entries set details = '{}' where seq = 1`,
  sql`update audit_entries set hash = repeat('0', 64) where seq = 1`,
  sql`update audit_entries set seq = null where seq = 1`,
  sql`delete from audit_entries where seq = 1`,
  sql`truncate audit_entries`,
  sql`alter table audit_entries disable trigger audit_entries_append_only`,
  sql`alter table audit_entries add column note text`,
  sql`drop trigger audit_entries_append_only on audit_entries`,
  sql`drop table audit_entries`,
  sql`update audit_checkpoints set seq = 0`,
  sql`delete from audit_checkpoints`,
  sql`truncate audit_checkpoints`,
  sql`alter table audit_checkpoints disable trigger all`,
];

async function refusesEveryRewrite(db: Kysely<any>): Promise<void> {
  for (const statement of REWRITES) {
    await expect(statement.execute(db)).rejects.toThrow(/permission denied|must be owner|append-only/);
  }
}

describe('the service runs as a database role that cannot rewrite the audit log', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    const audit = createAuditLog(db.db, logger, randomBytes(32));
    await audit.append(db.db, entry);
    await audit.flush();
    await db.owner.db.insertInto('audit_checkpoints').values({ seq: 1, hash: '0'.repeat(64), jws: 'x' }).execute();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('given one URL, connects as a restricted login role of its own, not a superuser', async () => {
    const { rows } = await sql<{ role: string; superuser: boolean }>`select current_user as role, (select rolsuper from pg_roles where rolname = current_user) as superuser`.execute(db.db);
    expect(rows[0]).toEqual({ role: 'opentsp_service', superuser: false });
  });

  it('as the service role, updating, deleting, truncating or altering the audit log is refused; appending and chaining work', async () => {
    await refusesEveryRewrite(db.db);
    const audit = createAuditLog(db.db, logger, randomBytes(32));
    await audit.append(db.db, entry);
    expect(await audit.flush()).toBe(1);
    const count = await sql<{ n: number }>`select count(*)::int as n from audit_entries where seq is not null`.execute(db.owner.db);
    expect(count.rows[0]!.n).toBe(2);
  });

  it('given a service URL and an owner URL, migrates as the owner and runs as the named role with the same limits', async () => {
    const role = `opentsp_ops_${randomBytes(4).toString('hex')}`;
    await db.owner.pool.query(`create role ${role} login password 'ops-secret'`);
    const url = new URL(db.url);
    url.username = role;
    url.password = 'ops-secret';
    const { database } = await openServiceDatabase({ url: url.toString(), ownerUrl: db.url, poolSize: 1 });
    try {
      const { rows } = await sql<{ role: string }>`select current_user as role`.execute(database.db);
      expect(rows[0]!.role).toBe(role);
      await refusesEveryRewrite(database.db);
      await expect(sql`select count(*) from audit_entries`.execute(database.db)).resolves.toBeDefined();
    } finally {
      await database.close();
      await db.owner.pool.query(`drop owned by ${role}; drop role ${role}`);
    }
  });

  it('refuses to run the service as the owner', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ me: string }>('select current_user as me');
    await client.end();
    const url = new URL(db.url);
    await expect(openServiceDatabase({ url: url.toString(), ownerUrl: db.url.replace(`//${rows[0]!.me}`, `//${rows[0]!.me}`), poolSize: 1 })).rejects.toThrow(
      /both connect as|refusing to run the service/,
    );
  });
});
