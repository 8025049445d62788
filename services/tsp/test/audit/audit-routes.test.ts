import request from 'supertest';
import { bearer, createTestClient, tokenFor } from '../../../../test/support/clients';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';

describe('audit log over the admin API', () => {
  let tsp: TestTsp;
  let admin: string;
  beforeAll(async () => {
    tsp = await startTestTsp();
    admin = await tokenFor(tsp, await createTestClient(tsp, { role: 'admin' }));
  });
  afterAll(async () => {
    await tsp.close();
  });

  it('lists chained entries by seq with their hashes, filtered by action, and verifies the chain', async () => {
    await createTestClient(tsp, { role: 'wallet' });
    const list = await request(tsp.url).get('/v1/admin/audit?action=client.create&limit=1').set(bearer(admin));
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({ action: 'client.create', seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const next = await request(tsp.url).get(`/v1/admin/audit?action=client.create&limit=1&cursor=${list.body.nextCursor}`).set(bearer(admin));
    expect(next.body.data[0].seq).toBeGreaterThan(list.body.data[0].seq);
    const verify = await request(tsp.url).post('/v1/admin/audit/verify').set(bearer(admin)).send({});
    expect(verify.body).toMatchObject({ ok: true });
  });

  it('writes a signed checkpoint on demand and verifies the log against it', async () => {
    const made = await request(tsp.url).post('/v1/admin/audit/checkpoints').set(bearer(admin)).send();
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/), jws: expect.any(String) });
    const verify = await request(tsp.url).post('/v1/admin/audit/verify').set(bearer(admin)).send({});
    expect(verify.body).toMatchObject({ ok: true, checkpointsChecked: 1 });
    const wallet = await tokenFor(tsp, await createTestClient(tsp, { role: 'wallet' }));
    expect((await request(tsp.url).post('/v1/admin/audit/checkpoints').set(bearer(wallet)).send()).status).toBe(403);
  });

  it('refuses a caller without admin scope', async () => {
    const wallet = await tokenFor(tsp, await createTestClient(tsp, { role: 'wallet' }));
    const res = await request(tsp.url).get('/v1/admin/audit').set(bearer(wallet));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('insufficient_scope');
  });
});
