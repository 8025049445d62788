import { openDatabase } from '../../src/store/database';
import { TokenFailureBudget, TokenFailureBudgetError } from '../../src/domain/identity/token-failure-budget';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';

/** A clock the test moves by hand: the failure window passes without sleeping. */
function manualClock(start = Date.parse('2026-12-07T10:00:00Z')) {
  let now = start;
  return { now: () => new Date(now), advance: (seconds: number) => void (now += seconds * 1000) };
}

describe('token endpoint failure budget (per client id and source, shared in Postgres)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('refuses a source that spent its failures until the window ends, then lets it try again', async () => {
    const clock = manualClock();
    const budget = new TokenFailureBudget({ points: 3, seconds: 60 }, clock.now);
    for (let i = 0; i < 3; i++) expect(await budget.recordFailure(db.db, 'cli_A', '203.0.113.1')).toBeUndefined();
    clock.advance(20);
    const refused = await budget.check(db.db, 'cli_A', '203.0.113.1').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(TokenFailureBudgetError);
    expect((refused as TokenFailureBudgetError).retryAfterSeconds).toBe(40);
    // Another source, and another client id from the same source, are untouched.
    await expect(budget.check(db.db, 'cli_A', '198.51.100.2')).resolves.toBeUndefined();
    await expect(budget.check(db.db, 'cli_B', '203.0.113.1')).resolves.toBeUndefined();
    clock.advance(40);
    await expect(budget.check(db.db, 'cli_A', '203.0.113.1')).resolves.toBeUndefined();
    // A new window starts at the next failure.
    expect(await budget.recordFailure(db.db, 'cli_A', '203.0.113.1')).toBeUndefined();
  });

  it('counts exactly under concurrent failures from several TSP processes (pools)', async () => {
    const clock = manualClock();
    const pools = [openDatabase({ connectionString: db.url, poolSize: 5 }), openDatabase({ connectionString: db.url, poolSize: 5 })];
    try {
      const budgets = pools.map(() => new TokenFailureBudget({ points: 10, seconds: 60 }, clock.now));
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => budgets[i % 2]!.recordFailure(pools[i % 2]!.db, 'cli_Race', '192.0.2.50')),
      );
      // The first ten failures are plain refusals; every later one is answered as over budget.
      expect(results.filter((r) => r === undefined)).toHaveLength(10);
      expect(results.filter((r) => r instanceof TokenFailureBudgetError)).toHaveLength(20);
    } finally {
      await Promise.all(pools.map((p) => p.close()));
    }
  });

  it('purges closed windows only', async () => {
    const clock = manualClock(Date.parse('2026-12-06T00:00:00Z'));
    const budget = new TokenFailureBudget({ points: 1, seconds: 60 }, clock.now);
    await budget.recordFailure(db.db, 'cli_Old', '192.0.2.60');
    expect(await budget.purge(db.db)).toBe(0);
    clock.advance(61);
    expect(await budget.purge(db.db)).toBe(1);
  });
});
