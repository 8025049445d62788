import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { createAuditLog } from '../../src/audit/audit-log';
import { createLogger } from '../../src/observability/logger';
import { migrateToLatest } from '../../src/store/migrate';
import { ensureMonthlyPartitions, MONTHS_AHEAD, partitionName, partitionsOf } from '../../src/store/partitions';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';

const logger = createLogger({ level: 'silent' });
const entry = { actor: { type: 'cli' as const }, action: 'token.suspend', subject: { type: 'token', id: 'tok_0000000000000001' }, outcome: 'success' as const };
const monthsFromNow = (n: number) => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + n, 15));
};

/** Migration 0021: the audit log and cryptogram issuances partitioned by month. */
describe('the audit log partitioned by month', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('has the current month and the next ones, and a default partition, for both tables, before any row arrives', async () => {
    for (const table of ['audit_entries', 'cryptogram_issuances'] as const) {
      const partitions = await partitionsOf(db.owner.db, table);
      expect(partitions).toContain(`${table}_default`);
      expect(partitions).toContain(partitionName(table, monthsFromNow(0)));
      expect(partitions).toContain(partitionName(table, monthsFromNow(MONTHS_AHEAD)));
    }
  });

  it('an entry lands in its month, is chained and verified across months, and stays append-only in its partition', async () => {
    const key = randomBytes(32);
    const audit = createAuditLog(db.db, logger, key);
    await audit.append(db.db, entry);
    // An entry dated next month, as the service role would write one then.
    await sql`insert into audit_entries (id, at, actor, action, subject_type, subject_id, outcome, details)
      values ('aud_next_month_000000001', ${monthsFromNow(1)}, '{"type":"cli"}', 'token.resume', 'token', 'tok_0000000000000001', 'success', '{}')`.execute(db.db);
    expect(await audit.flush()).toBe(2);
    expect((await audit.verify()).ok).toBe(true);
    const next = partitionName('audit_entries', monthsFromNow(1));
    const placed = await sql<{ n: number }>`select count(*)::int as n from ${sql.id(next)} where id = 'aud_next_month_000000001'`.execute(db.owner.db);
    expect(placed.rows[0]!.n).toBe(1);
    // The trigger is on every partition: even the owner, addressing the partition itself, is refused.
    await expect(sql`update ${sql.id(next)} set details = '{"x":1}'`.execute(db.owner.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from ${sql.id(next)}`.execute(db.owner.db)).rejects.toThrow(/append-only/);
  });

  it('gives the service role no rights on the partitions themselves', async () => {
    const current = partitionName('audit_entries', monthsFromNow(0));
    for (const statement of [
      sql`select count(*) from ${sql.id(current)}`,
      sql`update ${sql.id(current)} set hash = repeat('0', 64)`,
      sql`delete from ${sql.id(current)}`,
      sql`truncate ${sql.id(current)}`,
      sql`truncate audit_entries_default`,
      sql`alter table audit_entries detach partition ${sql.id(current)}`,
      sql`create table audit_entries_y2999m01 partition of audit_entries for values from ('2999-01-01') to ('2999-02-01')`,
    ]) {
      await expect(statement.execute(db.db)).rejects.toThrow(/permission denied|must be owner/);
    }
  });

  it('creates the months to come at every migration run, and leaves a month whose rows sit in the default partition to the operator', async () => {
    const far = new Date(Date.UTC(2100, 0, 15));
    await sql`insert into audit_entries (id, at, actor, action, subject_type, subject_id, outcome, details)
      values ('aud_far_future_000000001', ${far}, '{"type":"cli"}', 'token.resume', 'token', 'tok_0000000000000001', 'success', '{}')`.execute(db.db);
    const blocked = await ensureMonthlyPartitions(db.owner.db, 'audit_entries', { now: new Date(Date.UTC(2099, 11, 1)), monthsAhead: 2 });
    expect(blocked).toEqual([partitionName('audit_entries', far)]);
    const partitions = await partitionsOf(db.owner.db, 'audit_entries');
    expect(partitions).toContain('audit_entries_y2099m12');
    expect(partitions).toContain('audit_entries_y2100m02');
    expect(partitions).not.toContain('audit_entries_y2100m01');
    // A later run does the same, without failing.
    await migrateToLatest(db.owner.db);
  });

  it('issues and consumes cryptograms on the partitioned issuances table: an ATC is accepted once', async () => {
    const insert = sql`insert into cryptogram_issuances (token_ref, atc, amount, currency, merchant_id, channel, transaction_type, expires_at)
      values ('tok_partition_test_0001', 7, 100, 'EUR', 'm1', 'nfc', 'purchase', now() + interval '5 minutes')`;
    await insert.execute(db.db);
    const consume = sql<{ token_ref: string }>`update cryptogram_issuances set used_at = now()
      where token_ref = 'tok_partition_test_0001' and atc = 7 and used_at is null returning token_ref`;
    expect((await consume.execute(db.db)).rows).toHaveLength(1);
    expect((await consume.execute(db.db)).rows).toHaveLength(0);
  });
});
