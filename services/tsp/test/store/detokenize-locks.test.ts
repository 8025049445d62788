import pg from 'pg';
import { detokenizeRepository } from '../../src/store/detokenize.repository';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';

/*
 * Detokenize's two statements run as named prepared statements: after five executions Postgres
 * uses a generic plan, and Postgres 15 locks every relation of a generic plan on each execution,
 * every partition included. A backend takes its first 16 relation locks on the fast path; past
 * that, each lock goes through the shared lock table and its partition locks, which is what
 * halved the detokenize SQL floor when the issuances had 14 partitions attached (partitions.ts).
 * This holds each statement's locks in a transaction and counts them in pg_locks.
 */
/**
 * Relation locks a backend takes without the shared lock table (FP_LOCK_SLOTS_PER_BACKEND in
 * Postgres 15). Counted rather than read from pg_locks' `fastpath`: that column also turns false
 * while any session holds a strong lock that hashes alike, e.g. another test database's DDL.
 */
const FAST_PATH_SLOTS = 16;

describe('detokenize statements under a generic plan', () => {
  let db: TestDatabase;
  let client: pg.Client;
  beforeAll(async () => {
    db = await createTestDatabase();
    client = new pg.Client({ connectionString: db.serviceUrl });
    await client.connect();
    await client.query('set plan_cache_mode = force_generic_plan');
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  const target = () => ({ pool: { query: client.query.bind(client) } as unknown as pg.Pool });
  const locksHeld = async () => {
    const { rows } = await client.query<{ relation: string; fastpath: boolean }>(
      `select relation::regclass::text as relation, fastpath from pg_locks
        where pid = pg_backend_pid() and locktype = 'relation' and relation <> 'pg_locks'::regclass`,
    );
    return rows;
  };
  // Once outside to plan and cache (planning locks every index of every table it considers),
  // then in a transaction as every later execution runs.
  const inTransaction = async (run: () => Promise<unknown>) => {
    await client.query('begin');
    await run();
    await client.query('rollback');
    await client.query('begin');
    try {
      await run();
      return await locksHeld();
    } finally {
      await client.query('rollback');
    }
  };
  const counter = { keyPrefix: 'detok:tok:', now: new Date() };

  it('the read stays on the lock fast path', async () => {
    const locks = await inTransaction(() => detokenizeRepository.read(target(), '6200000000000000000', 1, counter));
    expect(locks.map((l) => l.relation).sort()).toEqual(expect.arrayContaining(['tokens', 'cryptogram_issuances', 'risk_velocity']));
    expect(locks.length).toBeLessThanOrEqual(FAST_PATH_SLOTS);
  });

  it('the grant stays on the lock fast path', async () => {
    const entry = { actor: { type: 'client' as const, clientId: 'cli_locks' }, action: 'detokenize', subject: { type: 'token', id: 'tok_locks' }, outcome: 'success' as const, details: {} };
    const decision = {
      record: { decisionId: 'dec_locks_0001', kind: 'detokenization' as const, outcome: 'approve' as const, reasonCodes: [], firedRules: [], ruleSetVersion: 1, score: 0, signals: {}, tokenRef: 'tok_locks', cardRef: 'crd_locks', clientId: 'cli_locks', createdAt: new Date() },
      effects: {},
    };
    const locks = await inTransaction(() =>
      detokenizeRepository.grant(target(), { key: 'detok:tok:tok_locks', bucket: new Date().toISOString(), seen: 0 }, decision, { tokenRef: 'tok_locks', atc: 1 }, entry, entry),
    );
    expect(locks.map((l) => l.relation)).toEqual(expect.arrayContaining(['risk_decisions', 'cryptogram_issuances', 'audit_entries']));
    expect(locks.length).toBeLessThanOrEqual(FAST_PATH_SLOTS);
  });
});
