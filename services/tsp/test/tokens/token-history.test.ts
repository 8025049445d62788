import { IssuerClient } from '../../../../packages/wallet-sdk/src';
import { bearer, createTestClient, createTestIssuer, tokenFor, type TestClient } from '../../../../test/support/clients';
import { encryptCardFor, provisionBody, startProvisioningWorld, testPan, type ProvisioningWorld } from '../../../../test/support/issuer-sim-harness';

/*
 * A token's history for the issuer's customer service (issue 12), against a real TSP, Postgres
 * and the issuer simulator: provision with step-up → a wrong code → verify → suspend (lost) →
 * resume → payment credentials → detokenize granted, then refused (replay) → webhooks
 * delivered. Every step is in the history, in order, with its reasons, and no card data.
 */

const YEAR = new Date().getUTCFullYear();
const MERCHANT = '898310048160001';

type Entry = {
  id: string;
  at: string;
  category: string;
  action: string;
  outcome: string;
  actor: { type: string; clientId?: string };
  summary: string;
  reasonCode?: string;
  requestId?: string;
  riskDecision?: { decisionId: string; decision: string; kind?: string; reasons: string[] };
  webhookDelivery?: { deliveryId: string; eventType: string; recipient?: string; status: string; attempts: number; lastHttpStatus?: number };
};

describe('the history of a token (console API)', () => {
  let w: ProvisioningWorld;
  let acquirer: TestClient;
  let acquirerToken: string;
  let otherIssuerToken: string;
  let pan: string;
  let tokenRef: string;
  let cardRef: string;
  let history: Entry[];
  let historyText: string;

  function call(method: string, path: string, token: string, body?: unknown) {
    return fetch(`${w.tsp.url}${path}`, {
      method,
      headers: { ...bearer(token), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }

  async function readHistory(query = 'limit=200'): Promise<{ status: number; body: any; text: string }> {
    const res = await call('GET', `/v1/issuer/tokens/${tokenRef}/history?${query}`, w.issuerToken);
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text), text };
  }

  beforeAll(async () => {
    w = await startProvisioningWorld();
    acquirer = await createTestClient(w.tsp, { role: 'acquirer', merchantIds: [MERCHANT], responseEncryption: { alg: 'A256GCMKW' } });
    const other = await createTestIssuer(w.tsp);
    const otherClient = await createTestClient(w.tsp, { role: 'issuer', issuerId: other.issuerId });
    [acquirerToken, otherIssuerToken] = await Promise.all([tokenFor(w.tsp, acquirer), tokenFor(w.tsp, otherClient)]);

    // 1. Provisioning: the simulator asks for step-up on last digits 111x.
    pan = testPan(w.cardPrefix, '111');
    const encryptedCard = await encryptCardFor(w.tsp.url, { pan, expMonth: 9, expYear: YEAR + 3, cvv2: '123' });
    const created = await call('POST', '/v1/tokens', w.walletToken, provisionBody(encryptedCard, { channel: 'nfc' }));
    const token = await created.json();
    expect(token).toMatchObject({ status: 'INACTIVE' });
    tokenRef = token.tokenRef;
    cardRef = token.card.cardRef;

    // 2. ID&V: one wrong code, then the right one.
    const challenge = await (await call('POST', `/v1/tokens/${tokenRef}/verification`, w.walletToken, { methodId: token.verification.methods[0].id })).json();
    const otp = w.sim.latestOtp(tokenRef) as string;
    const wrong = await call('POST', `/v1/tokens/${tokenRef}/verification/confirm`, w.walletToken, { challengeId: challenge.challengeId, code: otp === '000000' ? '111111' : '000000' });
    expect((await wrong.json()).code).toBe('otp_invalid');
    const confirmed = await call('POST', `/v1/tokens/${tokenRef}/verification/confirm`, w.walletToken, { challengeId: challenge.challengeId, code: otp });
    expect(confirmed.status).toBe(200);

    // 3. The bank suspends (card lost), then resumes.
    const suspended = await call('POST', `/v1/issuer/cards/${cardRef}/suspend`, w.issuerToken, { reason: 'lost', tokenRefs: [tokenRef] });
    expect(suspended.status).toBe(200);
    const resumed = await call('POST', `/v1/issuer/cards/${cardRef}/resume`, w.issuerToken, { reason: 'issuer_request', tokenRefs: [tokenRef] });
    expect(resumed.status).toBe(200);

    // 4. A payment: credentials, detokenization granted, the same cryptogram again refused.
    const credentials = await (
      await call('POST', `/v1/tokens/${tokenRef}/cryptograms`, w.walletToken, { amount: 12800, currency: 'CNY', merchantId: MERCHANT, channel: 'nfc' })
    ).json();
    const detokenize = { tokenPan: credentials.tokenPan, tokenExpiry: credentials.tokenExpiry, cryptogram: credentials.cryptogram, atc: credentials.atc, transaction: credentials.transaction };
    expect((await call('POST', '/v1/detokenize', acquirerToken, detokenize)).status).toBe(200);
    const replay = await call('POST', '/v1/detokenize', acquirerToken, detokenize);
    expect((await replay.json()).code).toBe('atc_replayed');

    // 5. The issuer's webhooks arrive at the bank (created, activated, suspended, resumed).
    await w.sim.waitForWebhooks({ tokenRef, receiver: 'issuer' }, 4);
    // The worker marks a delivery after the receiver answered: wait until the history shows it.
    for (let i = 0; i < 100; i++) {
      const res = await readHistory();
      history = res.body.data;
      historyText = res.text;
      const issuerDeliveries = history.filter((e) => e.webhookDelivery?.recipient === 'issuer');
      if (issuerDeliveries.length === 4 && issuerDeliveries.every((e) => e.webhookDelivery?.status === 'delivered')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 60_000);

  afterAll(async () => {
    await w?.close();
  });

  it('lists the token\'s own steps in order, with category, action, outcome and reason', () => {
    const steps = history.filter((e) => e.category !== 'webhook' && e.category !== 'risk').map((e) => [e.category, e.action, e.outcome, e.reasonCode ?? null]);
    expect(steps).toEqual([
      ['provisioning', 'token.created', 'success', null],
      ['verification', 'verification.started', 'success', null],
      ['verification', 'verification.failed', 'denied', 'otp_invalid'],
      ['verification', 'token.activated', 'success', null],
      ['lifecycle', 'token.suspended', 'success', 'lost'],
      ['lifecycle', 'token.resumed', 'success', 'issuer_request'],
      ['payment', 'cryptogram.issued', 'success', null],
      ['payment', 'detokenize.granted', 'success', null],
      ['payment', 'detokenize.refused', 'denied', 'atc_replayed'],
    ]);
    const suspended = history.find((e) => e.action === 'token.suspended') as Entry;
    expect(suspended).toMatchObject({ actor: { type: 'client', clientId: w.issuerClient.clientId }, summary: 'Suspended by the issuer (lost)', requestId: expect.any(String) });
    expect(history.find((e) => e.action === 'token.created')).toMatchObject({ actor: { type: 'client', clientId: w.wallet.clientId } });
    expect(history.find((e) => e.action === 'detokenize.granted')).toMatchObject({ actor: { type: 'client', clientId: acquirer.clientId } });
  });

  it('shows the risk decisions with their outcome and reasons', async () => {
    const risk = history.filter((e) => e.category === 'risk');
    expect(risk.map((e) => e.riskDecision?.kind)).toEqual(expect.arrayContaining(['provisioning', 'detokenization']));
    for (const entry of risk) {
      expect(entry).toMatchObject({ action: 'risk.decision', actor: { type: 'system' }, riskDecision: { decisionId: entry.id, reasons: expect.any(Array) } });
      expect(entry.outcome).toBe(entry.riskDecision?.decision === 'decline' ? 'denied' : 'success');
      expect(entry.summary).toContain(entry.riskDecision?.decision);
      if (entry.riskDecision?.reasons.length) expect(entry.reasonCode).toBe(entry.riskDecision.reasons[0]);
    }
    // The provisioning decision (taken before the token existed) is the one recorded for it, with its outcome and reasons.
    const provisioning = risk.find((e) => e.riskDecision?.kind === 'provisioning') as Entry;
    expect(provisioning.at <= (history.find((e) => e.action === 'token.created') as Entry).at).toBe(true);
    const stored = await w.tsp.db.db
      .selectFrom('token_provisioning as p')
      .innerJoin('risk_decisions as d', 'd.decision_id', 'p.risk_decision_id')
      .select(['d.decision_id', 'd.outcome', 'd.reason_codes'])
      .where('p.token_ref', '=', tokenRef)
      .executeTakeFirstOrThrow();
    expect(provisioning.riskDecision).toEqual({ decisionId: stored.decision_id, decision: stored.outcome, kind: 'provisioning', reasons: stored.reason_codes });
    const detokenizations = await w.tsp.db.db.selectFrom('risk_decisions').select(['decision_id', 'outcome']).where('token_ref', '=', tokenRef).where('kind', '=', 'detokenization').execute();
    expect(risk.filter((e) => e.riskDecision?.kind === 'detokenization').map((e) => [e.id, e.riskDecision?.decision])).toEqual(
      expect.arrayContaining(detokenizations.map((d) => [d.decision_id, d.outcome])),
    );
    expect(risk).toHaveLength(detokenizations.length + 1);
  });

  it('shows each webhook delivery of the token\'s events with its status', () => {
    const issuerDeliveries = history.filter((e) => e.webhookDelivery?.recipient === 'issuer');
    expect(issuerDeliveries.map((e) => e.webhookDelivery?.eventType)).toEqual(['token.created', 'token.activated', 'token.suspended', 'token.resumed']);
    for (const entry of issuerDeliveries) {
      expect(entry).toMatchObject({
        category: 'webhook',
        action: 'webhook.delivery',
        outcome: 'success',
        webhookDelivery: { deliveryId: entry.id, status: 'delivered', attempts: 1, lastHttpStatus: expect.any(Number) },
      });
      expect(entry.summary).toMatch(/to the issuer, delivered after 1 attempt$/);
    }
    // The wallet's deliveries are listed too (its webhook URL is the simulator's as well).
    expect(history.filter((e) => e.webhookDelivery?.recipient === 'requestor').map((e) => e.webhookDelivery?.eventType)).toEqual([
      'token.created',
      'token.activated',
      'token.suspended',
      'token.resumed',
    ]);
    // A delivery sits right after the change that queued it.
    const suspendedAt = history.findIndex((e) => e.action === 'token.suspended');
    expect(history[suspendedAt + 1]?.webhookDelivery?.eventType).toBe('token.suspended');
  });

  it('is ordered by time, then id, and pages without gaps or repeats', async () => {
    const keys = history.map((e) => `${e.at} ${e.id}`);
    expect([...keys].sort()).toEqual(keys);
    const paged: Entry[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await readHistory(`limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      paged.push(...res.body.data);
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 50);
    expect(paged.map((e) => e.id)).toEqual(history.map((e) => e.id));
    expect(pages).toBe(Math.ceil(history.length / 3));
  });

  it('reads the same through the SDK\'s IssuerClient (search by last 4 + expiry, token, history page by page)', async () => {
    const issuer = new IssuerClient({ baseUrl: w.tsp.url, credentials: { clientId: w.issuerClient.clientId, clientSecret: w.issuerClient.clientSecret } });
    const cardExpiry = `09/${String((YEAR + 3) % 100).padStart(2, '0')}`;
    expect((await issuer.searchTokens({ panLast4: pan.slice(-4), cardExpiry }).toArray()).map((t) => t.tokenRef)).toEqual([tokenRef]);
    expect(await issuer.getToken(tokenRef)).toMatchObject({ tokenRef, status: 'ACTIVE', assuranceMethod: '11' });
    const entries = await issuer.tokenHistory(tokenRef, { limit: 4 }).toArray();
    expect(entries.map((e) => e.id)).toEqual(history.map((e) => e.id));
  });

  it('never shows card data', () => {
    expect(historyText).not.toContain(pan);
    // No digit run long enough to be a card number, and no part of this one. Timestamps and the
    // TSP's random ids (`aud_…`, `dlv_…`) are left out of the part check: a year or four digits
    // inside a random id can equal four digits of the PAN by chance (it failed CI once).
    expect(historyText).not.toMatch(/[0-9]{12,}/);
    const withoutDatesAndIds = historyText.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '').replace(/\b[a-z]{2,5}_[A-Za-z0-9]{12,}\b/g, '');
    for (const run of withoutDatesAndIds.match(/[0-9]+/g) ?? []) {
      expect(run.length >= 4 && (pan.includes(run) || run.includes(pan.slice(-4)))).toBe(false);
    }
  });

  it('answers token_not_found to another issuer and for an unknown token, and refuses a foreign cursor', async () => {
    for (const [path, token] of [
      [`/v1/issuer/tokens/${tokenRef}/history`, otherIssuerToken],
      ['/v1/issuer/tokens/tok_doesNotExist00000000/history', w.issuerToken],
    ] as const) {
      const res = await call('GET', path, token);
      expect({ status: res.status, code: (await res.json()).code }).toEqual({ status: 404, code: 'token_not_found' });
    }
    const wallet = await call('GET', `/v1/issuer/tokens/${tokenRef}/history`, w.walletToken);
    expect({ status: wallet.status, code: (await wallet.json()).code }).toEqual({ status: 403, code: 'insufficient_scope' });
    // A cursor of another token's history, and one of the token list, are both refused here.
    const otherHistoryCursor = Buffer.from(JSON.stringify({ l: 'history:tok_someOtherToken000000', a: '2026-01-01T00:00:00.000Z', i: 'aud_x' })).toString('base64url');
    const otherHistory = await readHistory(`cursor=${otherHistoryCursor}`);
    expect({ status: otherHistory.status, code: otherHistory.body.code }).toEqual({ status: 400, code: 'cursor_invalid' });
    const listCursor = Buffer.from(JSON.stringify({ l: `issuer:${w.issuer.issuerId}:*:*:*:*:*:*`, a: '2026-01-01T00:00:00.000Z', i: tokenRef })).toString('base64url');
    const wrongList = await readHistory(`cursor=${listCursor}`);
    expect({ status: wrongList.status, code: wrongList.body.code }).toEqual({ status: 400, code: 'cursor_invalid' });
  });
  it('shows a card-level deletion in the token\'s history: the token deleted with its reason, then the card', async () => {
    const deleted = await call('POST', `/v1/issuer/cards/${cardRef}/delete`, w.issuerToken, { reason: 'stolen' });
    expect(deleted.status).toBe(200);
    const after = (await readHistory()).body.data as Entry[];
    const tail = after.slice(history.length).filter((e) => e.category !== 'webhook');
    expect(tail.map((e) => [e.action, e.reasonCode, e.summary])).toEqual([
      ['token.deleted', 'stolen', 'Deleted by the issuer (stolen)'],
      ['card.deleted', 'stolen', 'Card deleted from the vault (stolen)'],
    ]);
    expect(after.slice(0, history.length).map((e) => e.id)).toEqual(history.map((e) => e.id));
    expect(after.filter((e) => e.webhookDelivery?.eventType === 'token.deleted').map((e) => e.webhookDelivery?.recipient).sort()).toEqual(['issuer', 'requestor']);
    // The token stays readable for the agent after its card left the vault.
    const token = await call('GET', `/v1/issuer/tokens/${tokenRef}`, w.issuerToken);
    expect(await token.json()).toMatchObject({ tokenRef, status: 'DELETED', statusReason: 'stolen' });
  });
});
