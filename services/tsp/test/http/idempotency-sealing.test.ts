import { sql } from 'kysely';
import { storedKey } from '../../src/store/idempotency.repository';
import request from 'supertest';
import { bearer, createTestClient, tokenFor } from '../../../../test/support/clients';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';

describe('stored idempotent responses', () => {
  let tsp: TestTsp;
  let adminToken: string;
  beforeAll(async () => {
    tsp = await startTestTsp();
    adminToken = await tokenFor(tsp, await createTestClient(tsp, { role: 'admin' }));
  });
  afterAll(async () => {
    await tsp.close();
  });

  it('keeps a secret shown once (a new client secret) encrypted at rest, and replays it', async () => {
    const create = () =>
      request(tsp.url)
        .post('/v1/admin/clients')
        .set(bearer(adminToken))
        .set('Idempotency-Key', 'create-wallet-7')
        .send({ role: 'wallet', name: 'Replay Wallet', tokenEndpointAuthMethod: 'client_secret_basic' });
    const first = await create();
    expect(first.status).toBe(201);
    const secret = first.body.clientSecret as string;
    expect(secret).toBeTruthy();

    // The response is recorded just after it is sent; wait for the record.
    let stored = { rows: [] as Array<{ body: string | null }> };
    for (let i = 0; i < 50 && !stored.rows[0]?.body; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      stored = await sql<{ body: string | null }>`select response_body::text as body from idempotency_keys where key = ${storedKey('create-wallet-7')} and state = 'done'`.execute(tsp.db.db);
    }
    expect(stored.rows[0]?.body).toMatch(/"sealed": ?"ev1\./);
    expect(stored.rows[0]?.body).not.toContain(secret);

    const replay = await create();
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
  });
});
