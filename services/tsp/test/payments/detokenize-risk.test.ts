import request from 'supertest';
import { sql } from 'kysely';
import { bearer, createTestClient, createTestParties, tokenFor, type TestClient, type TestParties } from '../../../../test/support/clients';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';
import { detokenizationCounter } from '../../src/risk/decide';
import { detokenizeRepository } from '../../src/store/detokenize.repository';
import { bucketOf } from '../../src/store/risk-velocity.repository';
import { createTokenFixture, type TokenFixture } from './payment-fixtures';

/**
 * The risk engine on detokenize's hot path: the read counts the detokenization in the token's
 * velocity counter inside the transaction, and one statement stores the decision with the ATC
 * consumption (DESIGN §8). These pin down what that folding must keep: only detokenizations
 * that reach the engine are counted, every one of them has its stored decision with the count
 * it saw, and the velocity rules still decline.
 */
const MERCHANT = '898310048160001';
const PURCHASE = { amount: 4200, currency: 'CNY', merchantId: MERCHANT, channel: 'nfc' } as const;

let tsp: TestTsp;
let parties: TestParties;
let acquirer: TestClient;
let acquirerAuth: { Authorization: string };
let walletAuth: { Authorization: string };

beforeAll(async () => {
  tsp = await startTestTsp();
  parties = await createTestParties(tsp);
  acquirer = await createTestClient(tsp, { role: 'acquirer', merchantIds: [MERCHANT], responseEncryption: { alg: 'A256GCMKW' } });
  acquirerAuth = bearer(await tokenFor(tsp, acquirer));
  walletAuth = bearer(await tokenFor(tsp, parties.wallet));
});

afterAll(async () => {
  await tsp?.services.identity.close();
  await tsp?.close();
});

const newToken = () => createTokenFixture(tsp, parties.issuer, { trid: parties.wallet.client.trid!, requestorClientId: parties.wallet.clientId });

async function credentials(token: TokenFixture) {
  const res = await request(tsp.url).post(`/v1/tokens/${token.tokenRef}/cryptograms`).set(walletAuth).send(PURCHASE);
  expect(res.status).toBe(201);
  const c = res.body as { tokenPan: string; tokenExpiry: unknown; cryptogram: string; atc: number; transaction: object };
  return { tokenPan: c.tokenPan, tokenExpiry: c.tokenExpiry, cryptogram: c.cryptogram, atc: c.atc, transaction: c.transaction };
}

const detokenize = (body: object) => request(tsp.url).post('/v1/detokenize').set(acquirerAuth).send(body);

async function counted(tokenRef: string): Promise<number> {
  const row = await sql<{ n: number }>`select coalesce(sum(count), 0)::int as n from risk_velocity where key = ${`detok:tok:${tokenRef}`}`.execute(tsp.db.db);
  return row.rows[0]!.n;
}

async function decisionsOf(tokenRef: string) {
  return tsp.db.db
    .selectFrom('risk_decisions')
    .select(['decision_id', 'outcome', 'reason_codes', 'signals'])
    .where('token_ref', '=', tokenRef)
    .where('kind', '=', 'detokenization')
    .orderBy('pk')
    .execute();
}

describe('detokenize and the risk engine, in one transaction', () => {
  it('counts only the detokenizations that reach the engine, each with its stored decision and the count it saw', async () => {
    const token = await newToken();
    const first = await credentials(token);
    const res1 = await detokenize(first);
    expect(res1.status).toBe(200);
    // Refused before the engine: the transaction rolls back, the count with it.
    expect((await detokenize({ ...(await credentials(token)), cryptogram: 'A'.repeat(27) })).body.code).toBe('cryptogram_invalid');
    expect((await detokenize(first)).body.code).toBe('atc_replayed');
    const res2 = await detokenize(await credentials(token));
    expect(res2.status).toBe(200);

    expect(await counted(token.tokenRef)).toBe(2);
    const decisions = await decisionsOf(token.tokenRef);
    expect(decisions.map((d) => d.decision_id)).toEqual([res1.body.decisionId, res2.body.decisionId]);
    expect(decisions.map((d) => (d.signals as Record<string, unknown>)['velocity.detokenizationsPerToken1h'])).toEqual([1, 2]);
    expect(decisions.every((d) => d.outcome === 'approve')).toBe(true);
  });

  it('concurrent detokenizations of one token see distinct counts (the counter row serialises them)', async () => {
    const token = await newToken();
    const bodies = [];
    for (let i = 0; i < 6; i++) bodies.push(await credentials(token));
    const results = await Promise.all(bodies.map((b) => detokenize(b)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const seen = (await decisionsOf(token.tokenRef)).map((d) => (d.signals as Record<string, unknown>)['velocity.detokenizationsPerToken1h']);
    expect([...seen].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await counted(token.tokenRef)).toBe(6);
  });

  it('a write whose count moved since its read changes nothing (no count, decision, consumption or audit entry)', async () => {
    const token = await newToken();
    const body = await credentials(token);
    const target = { pool: tsp.db.pool };
    const now = new Date();
    // Two detokenizations read the same count; the first one's write wins, the second is stale.
    const first = await detokenizeRepository.read(target, body.tokenPan, body.atc, detokenizationCounter(now));
    const stale = await detokenizeRepository.read(target, body.tokenPan, body.atc, detokenizationCounter(now));
    expect(first!.seen).toEqual(stale!.seen);
    const write = (decisionId: string) => ({
      record: {
        decisionId,
        kind: 'detokenization' as const,
        outcome: 'approve' as const,
        reasonCodes: [],
        firedRules: [],
        ruleSetVersion: 1,
        score: 0,
        signals: {},
        tokenRef: token.tokenRef,
        cardRef: token.cardRef,
        clientId: acquirer.clientId,
        createdAt: now,
      },
      effects: {},
    });
    const entry = (outcome: 'success' | 'denied', note: string) => ({
      actor: { type: 'client' as const, clientId: acquirer.clientId },
      action: 'detokenize',
      subject: { type: 'token', id: token.tokenRef },
      outcome,
      details: { tokenRef: token.tokenRef, note },
    });
    const issuance = { tokenRef: token.tokenRef, atc: body.atc };
    const staleDecision = `dec_stale${Date.now()}`;
    expect(await detokenizeRepository.grant(target, stale!.seen, write(`dec_first${Date.now()}`), issuance, entry('success', 'first'), entry('denied', 'first'))).toEqual({ counted: true, consumed: true });
    expect(await detokenizeRepository.grant(target, stale!.seen, write(staleDecision), issuance, entry('success', 'stale'), entry('denied', 'stale'))).toEqual({ counted: false, consumed: false });
    expect(await detokenizeRepository.decline(target, stale!.seen, write(staleDecision), entry('denied', 'stale'))).toBe(false);

    expect(await counted(token.tokenRef)).toBe(1);
    expect((await decisionsOf(token.tokenRef)).map((d) => d.decision_id)).not.toContain(staleDecision);
    const notes = await tsp.db.db
      .selectFrom('audit_entries')
      .select(sql<string>`details->>'note'`.as('note'))
      .where('action', '=', 'detokenize')
      .where(sql<boolean>`details->>'tokenRef' = ${token.tokenRef}`)
      .execute();
    expect(notes.map((n) => n.note)).toEqual(['first']);
    // Read again: the new count, and the ATC now consumed (the caller would refuse it).
    const again = await detokenizeRepository.read(target, body.tokenPan, body.atc, detokenizationCounter(now));
    expect(again!.seen.seen).toBe(first!.seen.seen + 1);
    expect(again!.row.iss_used_at).not.toBeNull();
  });

  it('a token whose count moves before every write is answered 503 after 32 rounds, with nothing consumed or decided', async () => {
    const token = await newToken();
    expect((await detokenize(await credentials(token))).status).toBe(200);
    const body = await credentials(token);
    // Another detokenization of this token "counts first" after each of this request's reads:
    // its optimistic write never finds the count it read.
    const read = detokenizeRepository.read;
    let rounds = 0;
    detokenizeRepository.read = async (...args: Parameters<typeof read>) => {
      const result = await read(...args);
      if (result?.row.token_ref === token.tokenRef) {
        rounds += 1;
        await sql`update risk_velocity set count = count + 1 where key = ${result.seen.key} and bucket = ${result.seen.bucket}::timestamptz`.execute(tsp.db.owner.db);
      }
      return result;
    };
    let res: request.Response;
    try {
      res = await detokenize(body);
    } finally {
      detokenizeRepository.read = read;
    }
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('service_unavailable');
    expect(res.headers['retry-after']).toBeDefined();
    expect(rounds).toBe(32);
    // Nothing of the 32 rounds was written: one decision (the first detokenization's), the
    // cryptogram unused — the same request succeeds once the token is quiet.
    expect(await decisionsOf(token.tokenRef)).toHaveLength(1);
    const issuance = await sql<{ used_at: Date | null }>`select used_at from cryptogram_issuances where token_ref = ${token.tokenRef} and atc = ${body.atc}`.execute(tsp.db.db);
    expect(issuance.rows[0]!.used_at).toBeNull();
    const retried = await detokenize(body);
    expect(retried.status).toBe(200);
    expect(await decisionsOf(token.tokenRef)).toHaveLength(2);
  });

  it('declines past the velocity limit, stores the decline, keeps the cryptogram unused and the count', async () => {
    const token = await newToken();
    const body = await credentials(token);
    // 60 detokenizations of this token earlier in the current 10-minute bucket.
    await sql`insert into risk_velocity (key, bucket, count) values (${`detok:tok:${token.tokenRef}`}, ${bucketOf(new Date()).toISOString()}::timestamptz, 60)`.execute(tsp.db.db);
    const res = await detokenize(body);
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 403, code: 'detokenize_declined' });
    expect(res.body.reasonCodes).toEqual(expect.arrayContaining(['velocity_detok_token_1h']));
    const [decision] = await decisionsOf(token.tokenRef);
    expect(decision).toMatchObject({ decision_id: res.body.decisionId, outcome: 'decline' });
    expect((decision!.signals as Record<string, unknown>)['velocity.detokenizationsPerToken1h']).toBe(61);
    expect(await counted(token.tokenRef)).toBe(61);
    const issuance = await tsp.db.db.selectFrom('cryptogram_issuances').select('used_at').where('token_ref', '=', token.tokenRef).executeTakeFirstOrThrow();
    expect(issuance.used_at).toBeNull();
    const audit = await tsp.db.db
      .selectFrom('audit_entries')
      .select(['outcome', 'details'])
      .where('action', '=', 'detokenize')
      .where(sql<boolean>`details->>'tokenRef' = ${token.tokenRef}`)
      .execute();
    expect(audit).toEqual([expect.objectContaining({ outcome: 'denied', details: expect.objectContaining({ code: 'detokenize_declined', decisionId: res.body.decisionId }) })]);
  });

  it('holds one pool connection at a time: a cold key cache is filled before the transaction, not from inside it', async () => {
    // A new acquirer: its response key is not cached yet and is read from the database. With
    // every pool connection but one taken, a detokenization that opened its transaction first
    // and then asked the pool for a second connection (for the key) would wait until the pool's
    // connection timeout — as every request does at a cold start under load.
    const fresh = await createTestClient(tsp, { role: 'acquirer', merchantIds: [MERCHANT], responseEncryption: { alg: 'A256GCMKW' } });
    const freshAuth = bearer(await tokenFor(tsp, fresh));
    const body = await credentials(await newToken());
    const size = (tsp.db.pool as unknown as { options: { max: number } }).options.max;
    const held = await Promise.all(Array.from({ length: size - 1 }, () => tsp.db.pool.connect()));
    try {
      const started = Date.now();
      const res = await request(tsp.url).post('/v1/detokenize').set(freshAuth).send(body);
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      for (const client of held) client.release();
    }
  });
});
