import { sql } from 'kysely';
import { bearer } from '../support/clients';
import { encryptCardFor, provisionBody, startProvisioningWorld, testPan, type ProvisioningWorld } from '../support/issuer-sim-harness';

/*
 * Wallet-initiated provisioning end to end (DESIGN §2 flows 2 and 3): wallet → TSP (real HTTP,
 * real Postgres) → issuer-sim (signatures verified) → webhooks back to issuer-sim.
 */

const FUTURE_YEAR = new Date().getUTCFullYear() + 2;

describe('provisioning a wallet token', () => {
  let w: ProvisioningWorld;
  beforeAll(async () => {
    w = await startProvisioningWorld();
  });
  afterAll(async () => {
    await w?.close();
  });

  async function provision(pan: string, overrides: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    const encryptedCard = await encryptCardFor(w.tsp.url, { pan, expMonth: 12, expYear: FUTURE_YEAR, cvv2: '123' });
    return fetch(`${w.tsp.url}/v1/tokens`, {
      method: 'POST',
      headers: { ...bearer(w.walletToken), 'content-type': 'application/json', ...headers },
      body: JSON.stringify(provisionBody(encryptedCard, overrides)),
    });
  }

  async function auditOf(subjectId: string) {
    return w.tsp.db.db.selectFrom('audit_entries').select(['action', 'outcome', 'details']).where('subject_id', '=', subjectId).orderBy('pk').execute();
  }

  const counts = async () => {
    const row = await sql<{ cards: number; tokens: number }>`select (select count(*)::int from cards) as cards, (select count(*)::int from tokens) as tokens`.execute(w.tsp.db.db);
    return row.rows[0];
  };

  it('green: the issuer approves and the token is ACTIVE with assurance 13, audited and notified', async () => {
    const pan = testPan(w.cardPrefix, '234');
    const res = await provision(pan);
    const token = await res.json();
    expect(res.status).toBe(201);
    expect(token).toMatchObject({ status: 'ACTIVE', assuranceMethod: '13', domain: { channels: ['nfc', 'in_app'], tokenLocation: '02' } });
    expect(token.card).toMatchObject({ panLast4: pan.slice(-4), issuerId: w.issuer.issuerId, issuerName: w.issuer.name });
    expect(token.tokenLast4).toMatch(/^[0-9]{4}$/);
    expect(token.verification).toBeUndefined();
    expect(JSON.stringify(token)).not.toContain(pan);

    expect(await auditOf(token.tokenRef)).toEqual([expect.objectContaining({ action: 'token.provision', outcome: 'success' })]);
    const received = await w.sim.waitForWebhooks({ tokenRef: token.tokenRef, receiver: 'issuer' }, 2);
    expect(received.map((r) => r.event.type)).toEqual(['token.created', 'token.activated']);
    expect(received.every((r) => r.signatureVerified)).toBe(true);
    expect(received[0]?.event.data).toMatchObject({ token: { tokenRef: token.tokenRef }, cause: { actor: 'token_requestor', clientId: w.wallet.clientId } });
    // The decision request carried the card's last 4, never the PAN.
    expect(JSON.stringify(w.sim.state.decisionRequests)).not.toContain(pan);
  });

  it('yellow: step-up, then the right OTP activates the token with assurance 11', async () => {
    const res = await provision(testPan(w.cardPrefix, '111'));
    const token = await res.json();
    expect(res.status).toBe(201);
    expect(token).toMatchObject({ status: 'INACTIVE', assuranceMethod: '00', verification: { required: true } });
    const method = token.verification.methods[0];
    expect(method.maskedDestination).toBeDefined();

    const started = await post(`/v1/tokens/${token.tokenRef}/verification`, { methodId: method.id });
    const challenge = await started.json();
    expect(started.status).toBe(201);
    expect(challenge).toMatchObject({ tokenRef: token.tokenRef, method, attemptsRemaining: 5, resendsRemaining: 3 });
    expect(JSON.stringify(challenge)).not.toMatch(/"otp"|"code"/);
    const otp = w.sim.latestOtp(token.tokenRef) as string;
    expect(otp).toMatch(/^[0-9]{6}$/);

    const confirmed = await post(`/v1/tokens/${token.tokenRef}/verification/confirm`, { challengeId: challenge.challengeId, code: otp });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.json()).toMatchObject({ status: 'ACTIVE', assuranceMethod: '11' });
    expect((await auditOf(token.tokenRef)).map((a) => `${a.action}:${a.outcome}`)).toEqual([
      'token.provision:success',
      'token.verification_start:success',
      'token.activate:success',
    ]);
    const received = await w.sim.waitForWebhooks({ tokenRef: token.tokenRef, receiver: 'issuer' }, 2);
    expect(received.map((r) => r.event.type)).toEqual(['token.created', 'token.activated']);
  });

  it('yellow: five wrong codes lock the token for good (verification_locked), and even the right code is then refused', async () => {
    const token = await (await provision(testPan(w.cardPrefix, '111'))).json();
    const challenge = await (await post(`/v1/tokens/${token.tokenRef}/verification`, { methodId: token.verification.methods[0].id })).json();
    const otp = w.sim.latestOtp(token.tokenRef) as string;
    const wrong = otp === '000000' ? '111111' : '000000';
    for (let i = 4; i >= 1; i--) {
      const res = await post(`/v1/tokens/${token.tokenRef}/verification/confirm`, { challengeId: challenge.challengeId, code: wrong });
      expect(res.status).toBe(422);
      expect(await res.json()).toMatchObject({ code: 'otp_invalid', attemptsRemaining: i });
    }
    const fifth = await post(`/v1/tokens/${token.tokenRef}/verification/confirm`, { challengeId: challenge.challengeId, code: wrong });
    expect(fifth.status).toBe(409);
    expect((await fifth.json()).code).toBe('verification_locked');
    const locked = await post(`/v1/tokens/${token.tokenRef}/verification/confirm`, { challengeId: challenge.challengeId, code: otp });
    expect(locked.status).toBe(409);
    expect((await locked.json()).code).toBe('verification_locked');
    const restart = await post(`/v1/tokens/${token.tokenRef}/verification`, { methodId: token.verification.methods[0].id });
    expect((await restart.json()).code).toBe('verification_locked');
    const current = await (await fetch(`${w.tsp.url}/v1/tokens/${token.tokenRef}`, { headers: bearer(w.walletToken) })).json();
    expect(current).toMatchObject({ status: 'DELETED', assuranceMethod: '00' });
    const denied = (await auditOf(token.tokenRef)).filter((a) => a.action === 'token.activate');
    expect(denied).toHaveLength(5);
    expect(denied.every((a) => a.outcome === 'denied')).toBe(true);
  });

  it('yellow: an expired code is refused with challenge_expired', async () => {
    const token = await (await provision(testPan(w.cardPrefix, '111'))).json();
    const challenge = await (await post(`/v1/tokens/${token.tokenRef}/verification`, { methodId: token.verification.methods[0].id })).json();
    await sql`update verification_challenges set expires_at = now() - interval '1 second' where challenge_id = ${challenge.challengeId}`.execute(w.tsp.db.db);
    const res = await post(`/v1/tokens/${token.tokenRef}/verification/confirm`, { challengeId: challenge.challengeId, code: w.sim.latestOtp(token.tokenRef) });
    expect(res.status).toBe(410);
    expect((await res.json()).code).toBe('challenge_expired');
  });

  it('yellow: re-sends are limited per token (resend_limit_reached)', async () => {
    const token = await (await provision(testPan(w.cardPrefix, '111'))).json();
    const methodId = token.verification.methods[0].id;
    const codes = new Set<string>();
    for (let remaining = 3; remaining >= 0; remaining--) {
      const res = await post(`/v1/tokens/${token.tokenRef}/verification`, { methodId });
      expect(res.status).toBe(201);
      expect((await res.json()).resendsRemaining).toBe(remaining);
      codes.add(w.sim.latestOtp(token.tokenRef) as string);
    }
    expect(codes.size).toBeGreaterThan(1);
    const refused = await post(`/v1/tokens/${token.tokenRef}/verification`, { methodId });
    expect(refused.status).toBe(409);
    expect((await refused.json()).code).toBe('resend_limit_reached');
  });

  it('red: the issuer declines; nothing is created, the refusal is audited', async () => {
    const before = await counts();
    const res = await provision(testPan(w.cardPrefix, '000'));
    const problem = await res.json();
    expect(res.status).toBe(403);
    expect(problem).toMatchObject({ code: 'provisioning_declined', reasonCodes: ['issuer_declined'] });
    expect(await counts()).toEqual(before);
    const refusals = await w.tsp.db.db
      .selectFrom('audit_entries')
      .select(['outcome', 'details'])
      .where('action', '=', 'token.provision')
      .where('outcome', '=', 'denied')
      .execute();
    expect(refusals.some((r) => (r.details as Record<string, unknown>).issuerDecision === 'decline')).toBe(true);
  });

  it('red: the risk engine declines (emulator) before the issuer is asked; the decision is recorded', async () => {
    const before = await counts();
    const asked = w.sim.state.decisionRequests.length;
    const res = await provision(testPan(w.cardPrefix, '234'), { device: { id: 'dev_emu_1', type: 'phone', emulator: true, score: 90 } });
    const problem = await res.json();
    expect(res.status).toBe(403);
    expect(problem.code).toBe('provisioning_declined');
    expect(problem.reasonCodes).toContain('device_emulator');
    expect(problem.decisionId).toMatch(/^dec_/);
    expect(w.sim.state.decisionRequests.length).toBe(asked);
    expect(await counts()).toEqual(before);
    const refusal = await w.tsp.db.db.selectFrom('audit_entries').select('details').where('action', '=', 'token.provision').where('outcome', '=', 'denied').orderBy('pk', 'desc').executeTakeFirstOrThrow();
    expect(refusal.details).toMatchObject({ stage: 'risk', riskOutcome: 'decline', riskDecisionId: problem.decisionId });
  });

  it('yellow: a risk step-up (rooted device) wins over the issuer\'s approval', async () => {
    const res = await provision(testPan(w.cardPrefix, '234'), { device: { id: 'dev_rooted_1', type: 'phone', rooted: true, score: 90 } });
    const token = await res.json();
    expect(res.status).toBe(201);
    expect(token).toMatchObject({ status: 'INACTIVE', assuranceMethod: '00', verification: { required: true } });
    expect(token.verification.methods.length).toBeGreaterThan(0);
  });

  it('refuses a channel outside the requestor\'s domain', async () => {
    const narrow = await import('../support/clients').then((m) => m.createTestClient(w.tsp, { role: 'wallet', allowedChannels: ['ecom'] }));
    const token = await import('../support/clients').then((m) => m.tokenFor(w.tsp, narrow));
    const encryptedCard = await encryptCardFor(w.tsp.url, { pan: testPan(w.cardPrefix), expMonth: 12, expYear: FUTURE_YEAR });
    const res = await fetch(`${w.tsp.url}/v1/tokens`, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: JSON.stringify(provisionBody(encryptedCard, { channel: 'nfc' })),
    });
    expect(res.status).toBe(403);
    expect((await res.json()).code).toBe('domain_channel_not_allowed');
  });

  function post(path: string, body: unknown) {
    return fetch(`${w.tsp.url}${path}`, { method: 'POST', headers: { ...bearer(w.walletToken), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }
});
