import { sql } from 'kysely';
import { cleanEnv, runOpentsp } from '../../../../test/support/cli';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';

describe('opentsp migrate', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('applies every migration once, then reports the database up to date', async () => {
    const first = await runOpentsp(['migrate'], cleanEnv({ DATABASE_URL: db.url, LOG_LEVEL: 'warn' }));
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^applied: 0001-foundation/);
    const tables = await sql<{ tablename: string }>`select tablename from pg_tables where schemaname = 'public'`.execute(db.db);
    expect(tables.rows.map((r) => r.tablename)).toContain('idempotency_keys');

    const second = await runOpentsp(['migrate'], cleanEnv({ DATABASE_URL: db.url, LOG_LEVEL: 'warn' }));
    expect(second.code).toBe(0);
    expect(second.stdout).toBe('database is up to date\n');
  }, 60_000);

  it('refuses to run in production mode without DATABASE_URL, with exit code 78', async () => {
    const result = await runOpentsp(['migrate'], cleanEnv({}));
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/configuration error: DATABASE_URL is required/);
  }, 30_000);
});
