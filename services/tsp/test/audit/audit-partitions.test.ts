import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { createAuditLog } from '../../src/audit/audit-log';
import { chainLinksUpdate } from '../../src/store/audit.repository';
import { createLogger } from '../../src/observability/logger';
import { maintainPartitions, migrateToLatest } from '../../src/store/migrate';
import { startPartitionMaintenance } from '../../src/store/service-database';
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
      expect(partitions).toContain(partitionName(table, monthsFromNow(1)));
    }
    expect(await partitionsOf(db.owner.db, 'audit_entries')).toContain(partitionName('audit_entries', monthsFromNow(MONTHS_AHEAD)));
    // Issuances keep few partitions attached: every one of them is locked by detokenize's read.
    expect(await partitionsOf(db.owner.db, 'cryptogram_issuances')).not.toContain(partitionName('cryptogram_issuances', monthsFromNow(2)));
  });

  it('detaches issuance months older than last month, keeping their rows in a table of their own; the audit log keeps every month', async () => {
    const old = monthsFromNow(-3);
    const last = monthsFromNow(-1);
    for (const table of ['audit_entries', 'cryptogram_issuances'] as const) await ensureMonthlyPartitions(db.owner.db, table, { from: old, monthsAhead: 1 });
    await sql`insert into cryptogram_issuances (token_ref, atc, amount, currency, merchant_id, channel, transaction_type, issued_at, expires_at)
      values ('tok_partition_old_00001', 3, 100, 'EUR', 'm1', 'nfc', 'purchase', ${old}, ${old})`.execute(db.db);
    const oldIssuances = partitionName('cryptogram_issuances', old);
    expect(await partitionsOf(db.owner.db, 'cryptogram_issuances')).toContain(oldIssuances);

    const result = await maintainPartitions(db.owner.db);
    expect(result.detached).toEqual(
      expect.arrayContaining([oldIssuances, partitionName('cryptogram_issuances', monthsFromNow(-2))]),
    );
    const attached = await partitionsOf(db.owner.db, 'cryptogram_issuances');
    expect(attached).not.toContain(oldIssuances);
    expect(attached).toContain(partitionName('cryptogram_issuances', last));
    expect(await partitionsOf(db.owner.db, 'audit_entries')).toContain(partitionName('audit_entries', old));
    // Nothing deleted: the old month is a table of its own, for the operator to archive.
    const kept = await sql<{ n: number }>`select count(*)::int as n from ${sql.id(oldIssuances)}`.execute(db.owner.db);
    expect(kept.rows[0]!.n).toBe(1);
    // The hot path no longer sees it: that ATC has no issuance.
    const seen = await sql`select 1 from cryptogram_issuances where token_ref = 'tok_partition_old_00001'`.execute(db.db);
    expect(seen.rows).toHaveLength(0);
    // Idempotent: a second run detaches nothing.
    expect((await maintainPartitions(db.owner.db)).detached).toEqual([]);
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

  it("chains an entry by probing its own month's partition only, however many months hold entries", async () => {
    const audit = createAuditLog(db.db, logger, randomBytes(32));
    await ensureMonthlyPartitions(db.owner.db, 'audit_entries', { from: monthsFromNow(-2), monthsAhead: 1 });
    for (const month of [-2, -1, 1]) {
      await sql`insert into audit_entries (id, at, actor, action, subject_type, subject_id, outcome, details)
        select 'aud_probe_' || ${month}::int || '_' || g, ${monthsFromNow(month)}, '{"type":"cli"}', 'token.resume', 'token', 'tok_0000000000000001', 'success', '{}'
        from generate_series(1, 50) g`.execute(db.db);
    }
    await audit.flush();
    for (let i = 0; i < 3; i++) await audit.append(db.db, entry);
    const pending = await sql<{ pk: number; at: Date }>`select pk, at from audit_entries where seq is null order by pk`.execute(db.db);
    expect(pending.rows).toHaveLength(3);
    const links = pending.rows.map((r, i) => ({ pk: Number(r.pk), atMs: r.at.getTime(), seq: 1_000_000 + i, prevHash: 'p', hash: 'h' }));
    // Run (EXPLAIN ANALYZE executes it) and rolled back: the entries stay unchained.
    const rolledBack = new Error('rolled back');
    let plan: unknown;
    await db.db
      .transaction()
      .execute(async (tx) => {
        plan = (await sql<{ 'QUERY PLAN': unknown }>`explain (analyze, format json) ${chainLinksUpdate(links)}`.execute(tx)).rows[0]!['QUERY PLAN'];
        throw rolledBack;
      })
      .catch((err: unknown) => {
        if (err !== rolledBack) throw err;
      });
    // Every scan that ran, by the partition it read.
    const scanned: string[] = [];
    const walk = (node: Record<string, unknown>) => {
      if (typeof node['Relation Name'] === 'string' && Number(node['Actual Loops']) > 0 && !String(node['Node Type']).startsWith('ModifyTable')) scanned.push(node['Relation Name']);
      for (const child of (node.Plans as Array<Record<string, unknown>> | undefined) ?? []) walk(child);
    };
    walk((plan as Array<{ Plan: Record<string, unknown> }>)[0]!.Plan);
    expect(new Set(scanned)).toEqual(new Set([partitionName('audit_entries', monthsFromNow(0))]));
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

  it('trims issuance months attached ahead by the earlier policy: empty ones dropped, one holding a row left attached', async () => {
    await ensureMonthlyPartitions(db.owner.db, 'cryptogram_issuances', { monthsAhead: 12 });
    const far = monthsFromNow(7);
    await sql`insert into cryptogram_issuances (token_ref, atc, amount, currency, merchant_id, channel, transaction_type, issued_at, expires_at)
      values ('tok_partition_far_00001', 9, 100, 'EUR', 'm1', 'nfc', 'purchase', ${far}, ${far})`.execute(db.db);
    const { dropped } = await maintainPartitions(db.owner.db);
    expect(dropped).toHaveLength(10);
    const attached = await partitionsOf(db.owner.db, 'cryptogram_issuances');
    expect(attached).toContain(partitionName('cryptogram_issuances', monthsFromNow(1)));
    expect(attached).not.toContain(partitionName('cryptogram_issuances', monthsFromNow(2)));
    expect(attached).not.toContain(partitionName('cryptogram_issuances', monthsFromNow(12)));
    expect(attached).toContain(partitionName('cryptogram_issuances', far));
    // The audit log keeps its 12 months ahead.
    expect(await partitionsOf(db.owner.db, 'audit_entries')).toContain(partitionName('audit_entries', monthsFromNow(12)));
  });

  it('is maintained while the service runs: the timer detaches an old issuance month as the owner, and logs it', async () => {
    const old = monthsFromNow(-4);
    await ensureMonthlyPartitions(db.owner.db, 'cryptogram_issuances', { from: old, monthsAhead: 1 });
    const name = partitionName('cryptogram_issuances', old);
    const logged: object[] = [];
    const stop = startPartitionMaintenance({ url: db.url }, { info: (o) => logged.push(o), warn: (o) => logged.push(o) }, 50);
    try {
      for (let i = 0; i < 100 && !logged.length; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await stop();
    }
    expect(logged).toContainEqual({ detached: expect.arrayContaining([name]), dropped: [], blocked: [] });
    expect(await partitionsOf(db.owner.db, 'cryptogram_issuances')).not.toContain(name);
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
