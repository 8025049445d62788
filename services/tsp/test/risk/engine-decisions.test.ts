import { decide } from '../../src/risk/decide';
import type { RiskDecisionRequest } from '../../src/risk';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';
import { startRiskEngine, type RiskEngineUnderTest } from './support/engine';

const TRID = '90000000001';
const fingerprint = (n: number) => n.toString(16).padStart(64, 'a');

/** A provisioning request of card `n` from a brand-new device on a US IP; the cards are Chinese. */
function provisioning(n: number, overrides: Partial<RiskDecisionRequest['signals']> = {}): RiskDecisionRequest {
  return {
    kind: 'provisioning',
    subject: { clientId: 'cli_wallet0001SandboxA', trid: TRID, walletAccountId: 'wa_scenario', cardFingerprint: fingerprint(n), cardRef: `card_scenario${String(n).padStart(8, '0')}` },
    signals: {
      device: { id: 'dev_fresh_01', type: 'phone', os: 'android', score: 90 },
      network: { ip: '198.51.100.23', ipCountry: 'US' },
      card: { issuerCountry: 'CN' },
      walletAccount: { createdAt: '2024-05-01T00:00:00Z' },
      ...overrides,
    },
  };
}

describe('risk decisions', () => {
  let db: TestDatabase;
  let engine: RiskEngineUnderTest;
  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startRiskEngine(db);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('steps up, then declines, 10 cards provisioned from one new device on a foreign IP within minutes', async () => {
    const decisions = [];
    for (let n = 1; n <= 10; n++) {
      decisions.push(await engine.uow.transaction((tx) => engine.risk.decide(tx, provisioning(n))));
    }
    expect(decisions.map((d) => d.outcome)).toEqual(['approve', 'approve', 'approve', 'step_up', 'step_up', 'decline', 'decline', 'decline', 'decline', 'decline']);
    // The first attempts are approved but flagged: a new device, an IP abroad.
    expect(decisions[0]!.reasonCodes).toEqual(expect.arrayContaining(['ip_country_mismatch', 'device_new_to_account']));
    expect(decisions[3]!.reasonCodes).toContain('velocity_device_1h_step_up');
    expect(decisions[5]!.reasonCodes).toContain('velocity_device_foreign_ip');
    expect(decisions[9]!.reasonCodes).toEqual(expect.arrayContaining(['velocity_device_1h', 'velocity_device_foreign_ip', 'velocity_account_1h']));

    // The admin view explains the decision: fired rules, rule-set version, signal values.
    const view = await engine.risk.getDecision(decisions[5]!.decisionId);
    expect(view).toMatchObject({
      decisionId: decisions[5]!.decisionId,
      kind: 'provisioning',
      outcome: 'decline',
      ruleSetVersion: engine.risk.ruleBook.ruleSet().version,
      cardRef: 'card_scenario00000006',
      clientId: 'cli_wallet0001SandboxA',
    });
    expect(view.firedRules).toEqual(expect.arrayContaining([expect.objectContaining({ reasonCode: 'velocity_device_foreign_ip', outcome: 'decline', version: 1 })]));
    expect(view.signals).toMatchObject({
      'velocity.provisioningPerDevice1h': 6,
      'velocity.provisioningPerCard1h': 1,
      'location.ipCountry': 'US',
      'location.cardCountry': 'CN',
      'location.ipCountryMatchesCard': false,
      'device.cardsOnDevice': 5,
    });
    // The issuer's decision request carries the reasons.
    expect(engine.risk.issuerSummary(decisions[4]!)).toEqual({ outcome: 'step_up', score: expect.any(Number), reasonCodes: decisions[4]!.reasonCodes, decisionId: decisions[4]!.decisionId });
  });

  it('counts every attempt exactly once when many transactions decide concurrently', async () => {
    const request = { kind: 'detokenization' as const, subject: { tokenRef: 'tok_concurrent000000001', clientId: 'cli_acquirer0001Sandbox' }, signals: { transaction: { amount: 100, currency: 'CNY' } } };
    const decisions = await Promise.all(Array.from({ length: 20 }, () => engine.uow.transaction((tx) => engine.risk.decide(tx, request))));
    const counts = await Promise.all(decisions.map(async (d) => (await engine.risk.getDecision(d.decisionId)).signals['velocity.detokenizationsPerToken1h']));
    expect([...counts].sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('rolls the counters and the decision back with the caller\'s transaction', async () => {
    const request = { kind: 'detokenization' as const, subject: { tokenRef: 'tok_rolledback000000001' }, signals: {} };
    let decisionId = '';
    await expect(
      engine.uow.transaction(async (tx) => {
        decisionId = (await engine.risk.decide(tx, request)).decisionId;
        throw new Error('caller failed');
      }),
    ).rejects.toThrow('caller failed');
    await expect(engine.risk.getDecision(decisionId)).rejects.toMatchObject({ code: 'decision_not_found' });
    const next = await engine.uow.transaction((tx) => engine.risk.decide(tx, request));
    expect((await engine.risk.getDecision(next.decisionId)).signals['velocity.detokenizationsPerToken1h']).toBe(1);
  });

  it('counts 1-hour and 24-hour windows from 10-minute buckets', async () => {
    const request = { kind: 'detokenization' as const, subject: { tokenRef: 'tok_windows00000000001' }, signals: {} };
    const now = Date.now();
    for (const minutesAgo of [23 * 60, 3 * 60, 45, 5]) {
      await engine.uow.transaction((tx) => decide(engine.risk.ruleBook, tx, request, new Date(now - minutesAgo * 60_000)));
    }
    const last = await engine.uow.transaction((tx) => decide(engine.risk.ruleBook, tx, request, new Date(now)));
    const { signals } = await engine.risk.getDecision(last.decisionId);
    expect(signals['velocity.detokenizationsPerToken1h']).toBe(3);
    expect(signals['velocity.detokenizationsPerToken24h']).toBe(5);
  });

  it('declines impossible travel: the same card in Shanghai then Paris half an hour later', async () => {
    const base = provisioning(100, { network: { ip: '203.0.113.9', ipCountry: 'CN' } });
    const at = (lat: number, lon: number, country: string, deviceId: string): RiskDecisionRequest => ({
      ...base,
      subject: { ...base.subject, walletAccountId: `wa_${deviceId}` },
      signals: { ...base.signals, device: { id: deviceId, type: 'phone', score: 95, location: { lat, lon, country } } },
    });
    const now = Date.now();
    await engine.uow.transaction((tx) => decide(engine.risk.ruleBook, tx, at(31.23, 121.47, 'CN', 'dev_shanghai'), new Date(now - 30 * 60_000)));
    const paris = await engine.uow.transaction((tx) => decide(engine.risk.ruleBook, tx, at(48.86, 2.35, 'FR', 'dev_paris'), new Date(now)));
    expect(paris.outcome).toBe('decline');
    expect(paris.reasonCodes).toContain('impossible_travel');
    const { signals } = await engine.risk.getDecision(paris.decisionId);
    expect(signals['location.distanceKmFromLastUse']).toBeGreaterThan(9000);
    expect(signals['location.speedKmhFromLastUse']).toBeGreaterThan(900);
  });

  it('steps up after three failed OTPs on the account and declines a card suspended today', async () => {
    const subject = { trid: TRID, walletAccountId: 'wa_otp', cardFingerprint: fingerprint(200) };
    await engine.uow.transaction(async (tx) => {
      for (let i = 0; i < 3; i++) await engine.risk.recordEvent(tx, { kind: 'otp_failed', subject });
    });
    const request = { ...provisioning(200, { network: { ip: '203.0.113.10', ipCountry: 'CN' } }), subject };
    request.signals.device = { id: 'dev_otp', type: 'phone', score: 95, knownToAccount: true };
    const stepped = await engine.uow.transaction((tx) => engine.risk.decide(tx, request));
    expect(stepped).toMatchObject({ outcome: 'step_up', reasonCodes: expect.arrayContaining(['otp_failures_account']) });

    await engine.uow.transaction((tx) => engine.risk.recordEvent(tx, { kind: 'card_suspended', subject, at: new Date(Date.now() - 2 * 3_600_000) }));
    const declined = await engine.uow.transaction((tx) => engine.risk.decide(tx, request));
    expect(declined).toMatchObject({ outcome: 'decline', reasonCodes: expect.arrayContaining(['card_recently_suspended']) });
  });

  it('records the issuer decision and the token on completion; unknown decisions are decision_not_found', async () => {
    const decision = await engine.uow.transaction((tx) => engine.risk.decide(tx, provisioning(300, { network: { ip: '203.0.113.11', ipCountry: 'CN' } })));
    await engine.uow.transaction((tx) =>
      engine.risk.completeDecision(tx, decision.decisionId, { outcome: 'step_up', issuerDecision: { decision: 'step_up', source: 'issuer', reasonCode: 'new_device' }, tokenRef: 'tok_completed0000000001' }),
    );
    await expect(engine.risk.getDecision(decision.decisionId)).resolves.toMatchObject({
      outcome: 'step_up',
      issuerDecision: { decision: 'step_up', source: 'issuer', reasonCode: 'new_device' },
      tokenRef: 'tok_completed0000000001',
    });
    await expect(engine.uow.transaction((tx) => engine.risk.completeDecision(tx, 'dec_doesnotexist00000000', {}))).rejects.toMatchObject({ code: 'decision_not_found' });
  });

  it('stores references and facts only, never card data', async () => {
    const decision = await engine.uow.transaction((tx) => engine.risk.decide(tx, provisioning(400)));
    const { rows } = await db.pool.query('select row_to_json(d)::text as json from risk_decisions d where decision_id = $1', [decision.decisionId]);
    expect(rows[0].json).not.toMatch(/\b62\d{14,17}\b/);
    expect(Object.keys((await engine.risk.getDecision(decision.decisionId)).signals).every((k) => !/pan|cvv|expiry/i.test(k))).toBe(true);
  });
});
