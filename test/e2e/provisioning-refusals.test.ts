import { encryptCompact, KeySet } from '@opentsp/crypto';
import { sql } from 'kysely';
import { bearer } from '../support/clients';
import { encryptCardFor, provisionBody, startProvisioningWorld, testPan, type ProvisioningWorld } from '../support/issuer-sim-harness';

/*
 * Provisioning that must not create anything (bad card data), the issuer being down (stand-in
 * decision), concurrent retries with one Idempotency-Key, and no PAN anywhere afterwards.
 */

const YEAR = new Date().getUTCFullYear();

describe('provisioning refusals, stand-in and idempotency', () => {
  let w: ProvisioningWorld;
  const pansUsed: string[] = [];
  beforeAll(async () => {
    w = await startProvisioningWorld({ standInDecision: 'step_up', env: { OPENTSP_ISSUER_TIMEOUT_MS: '300' } });
  });
  afterAll(async () => {
    await w?.close();
  });

  const counts = async () =>
    (await sql<{ cards: number; tokens: number }>`select (select count(*)::int from cards) as cards, (select count(*)::int from tokens) as tokens`.execute(w.tsp.db.db)).rows[0];

  function send(encryptedCard: string, headers: Record<string, string> = {}, body = provisionBody(encryptedCard)) {
    return fetch(`${w.tsp.url}/v1/tokens`, {
      method: 'POST',
      headers: { ...bearer(w.walletToken), 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  }

  async function card(pan: string, exp: { expMonth: number; expYear: number } = { expMonth: 12, expYear: YEAR + 2 }) {
    pansUsed.push(pan);
    return encryptCardFor(w.tsp.url, { pan, ...exp });
  }

  async function foreignKeyJwe(pan: string): Promise<string> {
    const keys = KeySet.create();
    const key = await keys.generate('ECDH-ES+A256KW');
    return encryptCompact({ pan, expMonth: 12, expYear: YEAR + 2 }, key, { alg: 'ECDH-ES+A256KW' });
  }

  function tamper(jwe: string): string {
    const parts = jwe.split('.');
    const ct = Buffer.from(parts[3] as string, 'base64url');
    ct[0] = (ct[0] as number) ^ 0xff;
    parts[3] = ct.toString('base64url');
    return parts.join('.');
  }

  async function wrongAlg(pan: string): Promise<string> {
    // A well-formed JWE whose header claims an algorithm outside the allow-list (A256GCMKW).
    const keys = KeySet.create();
    const key = await keys.generate('A256GCMKW');
    return encryptCompact({ pan, expMonth: 12, expYear: YEAR + 2 }, key, { alg: 'A256GCMKW' });
  }

  it.each([
    ['a JWE to another key', async () => foreignKeyJwe(testPan(w.cardPrefix)), 422, 'jwe_invalid'],
    ['a tampered JWE', async () => tamper(await card(testPan(w.cardPrefix))), 422, 'jwe_invalid'],
    ['a JWE with a disallowed algorithm', async () => wrongAlg(testPan(w.cardPrefix)), 422, 'jwe_invalid'],
    ['a PAN failing Luhn', async () => {
      const pan = testPan(w.cardPrefix);
      return card(pan.slice(0, -1) + String((Number(pan.slice(-1)) + 1) % 10));
    }, 422, 'card_invalid_luhn'],
    ['an expired card', async () => card(testPan(w.cardPrefix), { expMonth: 1, expYear: YEAR - 1 }), 422, 'card_expired'],
    ['an unknown BIN', async () => card(testPan('999999')), 422, 'card_bin_unknown'],
  ])('refuses %s with its own code and stores nothing', async (_name, make, status, code) => {
    const before = await counts();
    const res = await send(await make());
    const problem = await res.json();
    expect(res.status).toBe(status);
    expect(problem.code).toBe(code);
    expect(await counts()).toEqual(before);
  });

  it('applies and records the stand-in decision when the issuer is down', async () => {
    w.sim.state.availability = 'down';
    try {
      const res = await send(await card(testPan(w.cardPrefix, '234')));
      const token = await res.json();
      expect(res.status).toBe(201);
      // Stand-in is step_up: INACTIVE with the default OTP method.
      expect(token).toMatchObject({ status: 'INACTIVE', verification: { required: true } });
      const recorded = await w.tsp.db.db.selectFrom('token_provisioning').selectAll().where('token_ref', '=', token.tokenRef).executeTakeFirstOrThrow();
      expect(recorded).toMatchObject({ decision_source: 'stand_in', issuer_decision: 'step_up', reason_code: 'issuer_unavailable' });
      const audit = await w.tsp.db.db.selectFrom('audit_entries').select('details').where('subject_id', '=', token.tokenRef).where('action', '=', 'token.provision').executeTakeFirstOrThrow();
      expect(audit.details).toMatchObject({ decisionSource: 'stand_in', issuerFailure: 'http_status' });
    } finally {
      w.sim.state.availability = 'up';
    }
  });

  it('applies the stand-in decision when the issuer hangs past the timeout', async () => {
    w.sim.state.availability = 'hang';
    try {
      const started = Date.now();
      const res = await send(await card(testPan(w.cardPrefix, '234')));
      expect(res.status).toBe(201);
      expect(Date.now() - started).toBeLessThan(5_000);
      const token = await res.json();
      const recorded = await w.tsp.db.db.selectFrom('token_provisioning').selectAll().where('token_ref', '=', token.tokenRef).executeTakeFirstOrThrow();
      expect(recorded).toMatchObject({ decision_source: 'stand_in' });
    } finally {
      w.sim.state.availability = 'up';
    }
  });

  it('creates one token for concurrent duplicates with one Idempotency-Key', async () => {
    const encryptedCard = await card(testPan(w.cardPrefix, '567'));
    const before = await counts();
    const key = `idem-${Date.now()}`;
    const body = provisionBody(encryptedCard); // the same request body each time, as a retry sends
    const answers = await Promise.all(Array.from({ length: 5 }, () => send(encryptedCard, { 'Idempotency-Key': key }, body)));
    const bodies = await Promise.all(answers.map((r) => r.json()));
    const created = bodies.filter((_b, i) => answers[i]?.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((b) => b.tokenRef)).size).toBe(1);
    for (const [i, b] of bodies.entries()) if (answers[i]?.status !== 201) expect(b.code).toBe('idempotency_in_progress');
    expect((await counts())?.tokens).toBe((before?.tokens ?? 0) + 1);
    // A later retry replays the recorded answer.
    const replay = await send(encryptedCard, { 'Idempotency-Key': key }, body);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((await replay.json()).tokenRef).toBe(created[0].tokenRef);
  });

  it('leaves no PAN in logs, audit rows or any table of the database', async () => {
    await w.tsp.services.audit.flush();
    const logs = w.tsp.logs.text();
    const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public'`.execute(w.tsp.db.db);
    let dump = '';
    for (const { table_name } of tables.rows) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table_name)}`.execute(w.tsp.db.db);
      dump += JSON.stringify(rows.rows, (_k, v) => (Buffer.isBuffer(v) ? v.toString('hex') : v));
    }
    expect(pansUsed.length).toBeGreaterThan(3);
    for (const pan of pansUsed) {
      expect(logs).not.toContain(pan);
      expect(dump).not.toContain(pan);
    }
  });
});
