import request from 'supertest';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';
import { bearer, createTestClient, tokenFor } from '../../../../test/support/clients';

const rule = {
  name: 'Rooted tablet',
  description: 'Step up rooted tablets.',
  enabled: true,
  priority: 450,
  appliesTo: ['provisioning'],
  conditions: { all: [{ fact: 'device', path: '$.rooted', operator: 'equal', value: true }, { fact: 'device', path: '$.type', operator: 'equal', value: 'tablet' }] },
  outcome: 'step_up',
  reasonCode: 'rooted_tablet',
};

function expectProblem(res: request.Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code });
}

describe('risk admin API', () => {
  let tsp: TestTsp;
  let auth: { Authorization: string };
  let walletAuth: { Authorization: string };
  let adminId: string;
  beforeAll(async () => {
    tsp = await startTestTsp();
    const admin = await createTestClient(tsp, { role: 'admin' });
    const wallet = await createTestClient(tsp, { role: 'wallet' });
    adminId = admin.clientId;
    auth = bearer(await tokenFor(tsp, admin));
    walletAuth = bearer(await tokenFor(tsp, wallet));
  });
  afterAll(async () => {
    await tsp.close();
  });

  it('refuses calls without an access token (401 unauthorized) or without admin scope (403 insufficient_scope)', async () => {
    expectProblem(await request(tsp.url).get('/v1/admin/risk/rules'), 401, 'unauthorized');
    expectProblem(await request(tsp.url).post('/v1/admin/risk/rules').send(rule), 401, 'unauthorized');
    expectProblem(await request(tsp.url).get('/v1/admin/risk/rules').set(walletAuth), 403, 'insufficient_scope');
  });

  it('lists the seeded default rules by priority, page by page', async () => {
    const first = await request(tsp.url).get('/v1/admin/risk/rules?limit=20').set(auth);
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(20);
    const second = await request(tsp.url).get(`/v1/admin/risk/rules?limit=200&cursor=${first.body.nextCursor}`).set(auth);
    const all = [...first.body.data, ...second.body.data];
    expect(all.length).toBeGreaterThanOrEqual(40);
    expect(second.body.nextCursor).toBeNull();
    const priorities = all.map((r: { priority: number }) => r.priority);
    expect(priorities).toEqual([...priorities].sort((x, y) => y - x));
    const detok = await request(tsp.url).get('/v1/admin/risk/rules?appliesTo=detokenization&enabled=true').set(auth);
    expect(detok.body.data.every((r: { appliesTo: string[] }) => r.appliesTo.includes('detokenization'))).toBe(true);
    expectProblem(await request(tsp.url).get(`/v1/admin/risk/rules?appliesTo=provisioning&cursor=${first.body.nextCursor}`).set(auth), 400, 'cursor_invalid');
  });

  it('creates, versions, disables and audits a rule', async () => {
    const created = await request(tsp.url).post('/v1/admin/risk/rules').set(auth).send(rule);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...rule, version: 1, createdBy: adminId, ruleId: expect.stringMatching(/^rule_/) });
    const { ruleId } = created.body;

    const updated = await request(tsp.url).put(`/v1/admin/risk/rules/${ruleId}`).set(auth).send({ ...rule, outcome: 'flag' });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ version: 2, outcome: 'flag' });
    const disabled = await request(tsp.url).post(`/v1/admin/risk/rules/${ruleId}/disable`).set(auth);
    expect(disabled.body).toMatchObject({ version: 3, enabled: false });
    const again = await request(tsp.url).post(`/v1/admin/risk/rules/${ruleId}/disable`).set(auth);
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(3);

    const versions = await request(tsp.url).get(`/v1/admin/risk/rules/${ruleId}/versions?limit=2`).set(auth);
    expect(versions.body.data.map((v: { version: number }) => v.version)).toEqual([3, 2]);
    const older = await request(tsp.url).get(`/v1/admin/risk/rules/${ruleId}/versions?cursor=${versions.body.nextCursor}`).set(auth);
    expect(older.body).toMatchObject({ data: [{ version: 1, outcome: 'step_up' }], nextCursor: null });
    expect((await request(tsp.url).get(`/v1/admin/risk/rules/${ruleId}`).set(auth)).body).toMatchObject({ version: 3, enabled: false });

    await tsp.services.audit.flush();
    const { rows } = await tsp.db.pool.query(`select details from audit_entries where action = 'risk_rule.publish' and subject_id = $1 order by pk`, [ruleId]);
    expect(rows.map((r) => r.details.change)).toEqual(['create', 'update', 'disable']);
  });

  it('refuses an invalid rule with 422 rule_invalid naming each problem', async () => {
    const res = await request(tsp.url)
      .post('/v1/admin/risk/rules')
      .set(auth)
      .send({ ...rule, conditions: { all: [{ fact: 'device', path: '$.rootd', operator: 'equal', value: true }, { fact: 'velocity', path: '$.provisioningPerDevice1h', operator: 'greaterThan', value: 'five' }] } });
    expectProblem(res, 422, 'rule_invalid');
    expect(res.body.errors).toEqual([
      { path: '/body/conditions/all/0/path', message: expect.stringContaining('unknown path "$.rootd" of fact device') },
      { path: '/body/conditions/all/1/value', message: 'greaterThan needs a number value, got string' },
    ]);
  });

  it('answers unknown rules and decisions with rule_not_found and decision_not_found', async () => {
    expectProblem(await request(tsp.url).get('/v1/admin/risk/rules/rule_doesNotExist000000').set(auth), 404, 'rule_not_found');
    expectProblem(await request(tsp.url).put('/v1/admin/risk/rules/rule_doesNotExist000000').set(auth).send(rule), 404, 'rule_not_found');
    expectProblem(await request(tsp.url).post('/v1/admin/risk/rules/rule_doesNotExist000000/dry-run').set(auth).send({}), 404, 'rule_not_found');
    expectProblem(await request(tsp.url).get('/v1/admin/risk/decisions/dec_doesNotExist0000000').set(auth), 404, 'decision_not_found');
  });

  it('shows a decision and dry-runs a rule change against recorded decisions', async () => {
    const { risk, uow } = tsp.services;
    const decide = (amount: number) =>
      uow.transaction((tx) => risk.decide(tx, { kind: 'detokenization', subject: { tokenRef: 'tok_dryrun000000000001', clientId: adminId }, signals: { transaction: { amount, currency: 'CNY', channel: 'nfc', merchantCategoryCode: '5411' } } }));
    const small = await decide(900);
    await decide(600_000);

    const view = await request(tsp.url).get(`/v1/admin/risk/decisions/${small.decisionId}`).set(auth);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ decisionId: small.decisionId, outcome: 'approve', kind: 'detokenization', signals: { 'transaction.amount': 900 } });

    const amountHigh = (await request(tsp.url).get('/v1/admin/risk/rules?appliesTo=detokenization&limit=200').set(auth)).body.data.find(
      (r: { reasonCode: string }) => r.reasonCode === 'amount_high',
    );
    const dry = await request(tsp.url)
      .post(`/v1/admin/risk/rules/${amountHigh.ruleId}/dry-run`)
      .set(auth)
      .send({ limit: 100, rule: { ...amountHigh, ruleId: undefined, version: undefined, createdAt: undefined, createdBy: undefined, outcome: 'decline', conditions: { all: [{ fact: 'transaction', path: '$.amount', operator: 'greaterThan', value: 500 }] } } });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ ruleId: amountHigh.ruleId, evaluated: 2, matched: 2, outcomeChanges: { approveToDecline: 2, unchanged: 0 } });
    expect(dry.body.samples).toHaveLength(2);
    expect(dry.body.version).toBeUndefined();
    expectProblem(
      await request(tsp.url).post(`/v1/admin/risk/rules/${amountHigh.ruleId}/dry-run`).set(auth).send({ rule: { ...rule, conditions: { all: [{ fact: 'nope', path: '$.x', operator: 'equal', value: 1 }] } } }),
      422,
      'rule_invalid',
    );
  });
});
