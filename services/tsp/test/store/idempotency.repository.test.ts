import { IdempotencyRepository } from '../../src/store/idempotency.repository';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';

describe('idempotency records', () => {
  let db: TestDatabase;
  let repo: IdempotencyRepository;
  beforeAll(async () => {
    db = await createTestDatabase();
    repo = new IdempotencyRepository(db.db, { lockMs: 200, retainMs: 60_000 });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('lets the first request proceed and replays its response to repeats', async () => {
    expect(await repo.begin('cli_a', 'k1', 'h1')).toEqual({ kind: 'proceed' });
    await repo.complete('cli_a', 'k1', 201, { tokenRef: 'tok_1' });
    expect(await repo.begin('cli_a', 'k1', 'h1')).toEqual({ kind: 'replay', status: 201, body: { tokenRef: 'tok_1' } });
  });

  it('refuses the same key with a different request', async () => {
    await repo.begin('cli_a', 'k2', 'h1');
    expect(await repo.begin('cli_a', 'k2', 'h2')).toEqual({ kind: 'mismatch' });
  });

  it('keeps keys of different clients apart', async () => {
    await repo.begin('cli_a', 'shared', 'h1');
    expect(await repo.begin('cli_b', 'shared', 'h9')).toEqual({ kind: 'proceed' });
  });

  it('lets exactly one of many concurrent requests with one key proceed', async () => {
    const outcomes = await Promise.all(Array.from({ length: 12 }, () => repo.begin('cli_c', 'race', 'h1')));
    expect(outcomes.filter((o) => o.kind === 'proceed')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === 'in_progress')).toHaveLength(11);
  });

  it('lets a retry take over a claim whose holder crashed, once the lock lapsed', async () => {
    await repo.begin('cli_d', 'crashed', 'h1');
    expect(await repo.begin('cli_d', 'crashed', 'h1')).toEqual({ kind: 'in_progress' });
    await new Promise((r) => setTimeout(r, 250));
    expect(await repo.begin('cli_d', 'crashed', 'h1')).toEqual({ kind: 'proceed' });
  });

  it('forgets a released claim so the retry runs again', async () => {
    await repo.begin('cli_e', 'k', 'h1');
    await repo.release('cli_e', 'k');
    expect(await repo.begin('cli_e', 'k', 'h1')).toEqual({ kind: 'proceed' });
  });

  describe('retention (DESIGN §4: stored answers expire after 24 h and are purged)', () => {
    const DAY = 24 * 3600_000;
    let now = new Date('2026-12-07T10:00:00Z');
    const clock = () => now;
    let timed: IdempotencyRepository;
    beforeAll(() => {
      timed = new IdempotencyRepository(db.db, { lockMs: 30_000, retainMs: DAY }, undefined, clock);
    });

    it('stops replaying an answer once its retention has passed: the key runs afresh', async () => {
      expect(await timed.begin('cli_t', 'day-old', 'h1')).toEqual({ kind: 'proceed' });
      await timed.complete('cli_t', 'day-old', 201, { tokenRef: 'tok_old' });
      now = new Date(now.getTime() + DAY - 1_000);
      expect(await timed.begin('cli_t', 'day-old', 'h1')).toMatchObject({ kind: 'replay', body: { tokenRef: 'tok_old' } });
      now = new Date(now.getTime() + 2_000);
      // Past retention the old answer is gone, and so is its body: another body is no mismatch.
      expect(await timed.begin('cli_t', 'day-old', 'h2')).toEqual({ kind: 'proceed' });
    });

    it('purges answers past their retention and keeps the others', async () => {
      await timed.begin('cli_p', 'old', 'h1');
      await timed.complete('cli_p', 'old', 200, { n: 1 });
      now = new Date(now.getTime() + DAY / 2);
      await timed.begin('cli_p', 'young', 'h1');
      await timed.complete('cli_p', 'young', 200, { n: 2 });
      now = new Date(now.getTime() + DAY / 2 + 1_000);
      expect(await timed.purgeExpired()).toBeGreaterThanOrEqual(1);
      const left = await db.db.selectFrom('idempotency_keys').select('client_id').where('client_id', '=', 'cli_p').execute();
      expect(left).toHaveLength(1);
      expect(await timed.begin('cli_p', 'young', 'h1')).toMatchObject({ kind: 'replay', body: { n: 2 } });
    });
  });
});
