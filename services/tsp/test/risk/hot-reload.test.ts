import { openDatabase } from '../../src/store/database';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';
import { startRiskEngine, type RiskEngineUnderTest } from './support/engine';

const ADMIN = { actor: { type: 'client' as const, clientId: 'cli_admin000001Sandbox' }, createdBy: 'cli_admin000001Sandbox' };

async function eventually<T>(probe: () => Promise<T> | T, accept: (value: T) => boolean, timeoutMs: number): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  for (;;) {
    const value = await probe();
    if (accept(value)) return { value, ms: Date.now() - start };
    if (Date.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms; last ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('hot reload across TSP processes', () => {
  let db: TestDatabase;
  let second: ReturnType<typeof openDatabase> & { url: string };
  let a: RiskEngineUnderTest;
  let b: RiskEngineUnderTest;
  const stops: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    db = await createTestDatabase();
    // Two "processes": separate pools and services over one database.
    // As the service role, like a second TSP process (db.url is the owner's).
    second = Object.assign(openDatabase({ connectionString: db.serviceUrl, poolSize: 3 }), { url: db.serviceUrl });
    a = await startRiskEngine(db);
    b = await startRiskEngine(second);
    stops.push(a.risk.startReloader({ pollMs: 60_000 }), b.risk.startReloader({ pollMs: 60_000 }));
  });
  afterAll(async () => {
    await Promise.all(stops.map((stop) => stop()));
    await second.close();
    await db.drop();
  });

  // Each probe of a convergence loop uses a token of its own: repeated detokenizations of one
  // token count in its velocity, and enough polls would trip the velocity rule instead.
  let probes = 100;
  const freshToken = () => `tok_hotreload${String(++probes).padStart(9, '0')}`;

  const detokenize = (engine: RiskEngineUnderTest, tokenRef: string) =>
    engine.uow.transaction((tx) => engine.risk.decide(tx, { kind: 'detokenization', subject: { tokenRef }, signals: { transaction: { amount: 4_200, currency: 'CNY', merchantCategoryCode: '5999', channel: 'ecom' } } }));

  it('applies a rule published on one process to decisions of the other within seconds, without restart', async () => {
    expect((await detokenize(b, 'tok_hotreload000000001')).outcome).toBe('approve');
    const created = await a.risk.rules.create(
      {
        name: 'Block MCC 5999',
        enabled: true,
        priority: 900,
        appliesTo: ['detokenization'],
        conditions: { all: [{ fact: 'transaction', path: '$.merchantCategoryCode', operator: 'equal', value: '5999' }] },
        outcome: 'decline',
        reasonCode: 'mcc_5999_blocked',
      },
      ADMIN,
    );
    // The publishing process sees it at once.
    expect((await detokenize(a, 'tok_hotreload000000002')).reasonCodes).toContain('mcc_5999_blocked');
    // The other process converges on the NOTIFY (polling is set to a minute here, so it is LISTEN).
    const { value, ms } = await eventually(() => detokenize(b, freshToken()), (d) => d.outcome === 'decline', 5_000);
    expect(value.reasonCodes).toEqual(['mcc_5999_blocked']);
    expect(value.ruleSetVersion).toBe(a.risk.ruleBook.ruleSet().version);
    expect(ms).toBeLessThan(5_000);

    await a.risk.rules.disable(created.ruleId, ADMIN);
    await eventually(() => detokenize(b, freshToken()), (d) => d.outcome === 'approve', 5_000);
  });

  it('converges by the periodic version check alone (a process that missed the notification)', async () => {
    const c = await startRiskEngine(second);
    // No listener on c: only the version check, as after a missed NOTIFY.
    const poll = setInterval(() => void c.risk.ruleBook.refresh(), 200);
    try {
      await a.risk.rules.create(
        {
          name: 'Flag huge e-commerce',
          enabled: true,
          priority: 10,
          appliesTo: ['detokenization'],
          conditions: { all: [{ fact: 'transaction', path: '$.amount', operator: 'greaterThan', value: 4_000 }] },
          outcome: 'flag',
          reasonCode: 'ecom_over_4000',
        },
        ADMIN,
      );
      const { value } = await eventually(() => detokenize(c, freshToken()), (d) => d.reasonCodes.includes('ecom_over_4000'), 5_000);
      expect(value.outcome).toBe('approve');
    } finally {
      clearInterval(poll);
    }
  });

  it('catches a rule published while its listener was still connecting (no notification reached it)', async () => {
    // A process whose pool is busy when its reloader starts: the listener waits for a connection
    // while another process publishes, so the NOTIFY goes to nobody; polling is a minute away.
    const busy = Object.assign(openDatabase({ connectionString: db.serviceUrl, poolSize: 2 }), { url: db.serviceUrl });
    const d = await startRiskEngine(busy);
    const held = await Promise.all([busy.pool.connect(), busy.pool.connect()]);
    const stop = d.risk.startReloader({ pollMs: 60_000 });
    let ruleId: string | undefined;
    try {
      ({ ruleId } = await a.risk.rules.create(
        {
          name: 'Block MCC 4829',
          enabled: true,
          priority: 950,
          appliesTo: ['detokenization'],
          conditions: { all: [{ fact: 'transaction', path: '$.merchantCategoryCode', operator: 'equal', value: '4829' }] },
          outcome: 'decline',
          reasonCode: 'mcc_4829_blocked',
        },
        ADMIN,
      ));
      for (const client of held) client.release();
      const wire = (engine: RiskEngineUnderTest) =>
        engine.uow.transaction((tx) => engine.risk.decide(tx, { kind: 'detokenization', subject: { tokenRef: freshToken() }, signals: { transaction: { amount: 100, currency: 'CNY', merchantCategoryCode: '4829', channel: 'ecom' } } }));
      const { value } = await eventually(() => wire(d), (decision) => decision.outcome === 'decline', 5_000);
      expect(value.reasonCodes).toContain('mcc_4829_blocked');
    } finally {
      if (ruleId) await a.risk.rules.disable(ruleId, ADMIN);
      await stop();
      await busy.close();
    }
  });
});
