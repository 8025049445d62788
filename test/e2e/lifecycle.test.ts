import { IssuerClient, OpenTspError } from '@opentsp/wallet-sdk';
import { bearer, createTestClient, createTestIssuer, tokenFor } from '../support/clients';
import { encryptCardFor, provisionBody, startProvisioningWorld, testPan, type ProvisioningWorld } from '../support/issuer-sim-harness';

/*
 * Token lifecycle end to end (DESIGN §2 flow 5): by the wallet and by the bank (one token or
 * every token of a card), card reissue, tenancy, the token lists. The bank side uses the
 * SDK's IssuerClient with the bank's client credentials.
 */

const YEAR = new Date().getUTCFullYear();

describe('token lifecycle by the token requestor and the issuer', () => {
  let w: ProvisioningWorld;
  let bank: IssuerClient;
  let cardRef: string;
  let pan: string;
  const tokenRefs: string[] = [];

  beforeAll(async () => {
    w = await startProvisioningWorld();
    bank = new IssuerClient({ baseUrl: w.tsp.url, credentials: { clientId: w.issuerClient.clientId, clientSecret: w.issuerClient.clientSecret } });
    pan = testPan(w.cardPrefix, '234');
    const card = await bank.registerCard({ pan, expMonth: 6, expYear: YEAR + 3 }, { product: { type: 'debit', name: 'Test Debit' }, cardArtAssetId: 'art_test' });
    cardRef = card.cardRef;
    for (const device of ['dev_a', 'dev_b']) {
      const encryptedCard = await encryptCardFor(w.tsp.url, { pan, expMonth: 6, expYear: YEAR + 3, cvv2: '123' });
      const res = await call('POST', '/v1/tokens', provisionBody(encryptedCard, { walletAccountId: 'wa_e2e_0001', device: { id: device, type: 'phone' } }));
      const token = await res.json();
      expect(res.status).toBe(201);
      tokenRefs.push(token.tokenRef);
    }
  });
  afterAll(async () => {
    await w?.close();
  });

  function call(method: string, path: string, body?: unknown, token = w.walletToken) {
    return fetch(`${w.tsp.url}${path}`, {
      method,
      headers: { ...bearer(token), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }
  const [t1, t2] = [() => tokenRefs[0] as string, () => tokenRefs[1] as string];

  it('provisions both tokens onto the card the issuer registered (dedupe by fingerprint)', async () => {
    const list = await bank.listCardTokens(cardRef).toArray();
    expect(list.map((t) => t.tokenRef).sort()).toEqual([...tokenRefs].sort());
    expect(list[0]?.card).toMatchObject({ cardRef, product: { type: 'debit', name: 'Test Debit' }, cardArtAssetId: 'art_test' });
    expect(JSON.stringify(list)).not.toContain(pan);
  });

  it('lets the wallet suspend and resume its own suspension', async () => {
    const suspended = await (await call('POST', `/v1/tokens/${t1()}/suspend`, { reason: 'device_lost' })).json();
    expect(suspended).toMatchObject({ status: 'SUSPENDED', statusReason: 'device_lost' });
    const again = await call('POST', `/v1/tokens/${t1()}/suspend`, { reason: 'device_lost' });
    expect(again.status).toBe(200);
    const resumed = await (await call('POST', `/v1/tokens/${t1()}/resume`, { reason: 'cardholder_request' })).json();
    expect(resumed.status).toBe('ACTIVE');
    const events = await w.sim.waitForWebhooks({ tokenRef: t1(), receiver: 'issuer', type: 'token.suspended' });
    expect(events[0]?.event.data).toMatchObject({ reason: 'device_lost', previousStatus: 'ACTIVE', cause: { actor: 'token_requestor', clientId: w.wallet.clientId } });
  });

  it('does not let the wallet lift a suspension the issuer made', async () => {
    const result = await bank.suspendCard(cardRef, { reason: 'fraud_suspected', tokenRefs: [t1()] });
    expect(result.tokens.map((t) => [t.tokenRef, t.status])).toEqual([[t1(), 'SUSPENDED']]);
    const res = await call('POST', `/v1/tokens/${t1()}/resume`, { reason: 'cardholder_request' });
    expect(res.status).toBe(403);
    expect((await res.json()).code).toBe('forbidden');
    const resumed = await bank.resumeCard(cardRef, { reason: 'issuer_request' });
    expect(resumed.tokens.every((t) => t.status === 'ACTIVE')).toBe(true);
  });

  it('suspends every token of a lost card, and resumes them all', async () => {
    const lost = await bank.suspendCard(cardRef, { reason: 'lost', comment: 'Reported at branch 0012' });
    expect(lost.tokens).toHaveLength(2);
    expect(lost.tokens.every((t) => t.status === 'SUSPENDED' && t.statusReason === 'lost')).toBe(true);
    const audit = await w.tsp.db.db.selectFrom('audit_entries').select(['subject_id']).where('action', '=', 'token.suspend').where('subject_id', 'in', tokenRefs).execute();
    expect(audit.length).toBeGreaterThanOrEqual(3);
    const found = await bank.resumeCard(cardRef, { reason: 'issuer_request' });
    expect(found.tokens.every((t) => t.status === 'ACTIVE')).toBe(true);
  });

  it('keeps every token ACTIVE through a card reissue, showing the new last 4', async () => {
    const newPan = testPan(w.cardPrefix, '987');
    const updated = await bank.updateCard(cardRef, { pan: newPan, expMonth: 9, expYear: YEAR + 4 });
    expect(updated).toMatchObject({ cardRef, panLast4: newPan.slice(-4), expiry: { month: 9, year: YEAR + 4 } });
    expect(updated.tokens.every((t) => t.status === 'ACTIVE' && t.card.panLast4 === newPan.slice(-4))).toBe(true);
    const token = await (await call('GET', `/v1/tokens/${t2()}`)).json();
    expect(token).toMatchObject({ status: 'ACTIVE', card: { panLast4: newPan.slice(-4) } });
    expect(JSON.stringify(updated)).not.toContain(newPan);
    const audit = await w.tsp.db.db.selectFrom('audit_entries').select('outcome').where('action', '=', 'card.update').where('subject_id', '=', cardRef).execute();
    expect(audit).toEqual([{ outcome: 'success' }]);
    await w.sim.waitForWebhooks({ tokenRef: t2(), type: 'token.updated', receiver: 'issuer' });
  });

  it('lists the wallet account\'s tokens with cursor pagination', async () => {
    const first = await (await call('GET', '/v1/tokens?walletAccountId=wa_e2e_0001&limit=1')).json();
    expect(first.data).toHaveLength(1);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await (await call('GET', `/v1/tokens?walletAccountId=wa_e2e_0001&limit=1&cursor=${first.nextCursor}`)).json();
    expect(second.data).toHaveLength(1);
    expect(second.data[0].tokenRef).not.toBe(first.data[0].tokenRef);
  });

  it('keeps other parties out: another wallet, another issuer', async () => {
    const otherWallet = await createTestClient(w.tsp, { role: 'wallet' });
    const res = await call('GET', `/v1/tokens/${t1()}`, undefined, await tokenFor(w.tsp, otherWallet));
    expect(res.status).toBe(404);
    expect((await res.json()).code).toBe('token_not_found');

    const otherIssuer = await createTestIssuer(w.tsp);
    const otherClient = await createTestClient(w.tsp, { role: 'issuer', issuerId: otherIssuer.issuerId });
    const otherBank = new IssuerClient({ baseUrl: w.tsp.url, credentials: { clientId: otherClient.clientId, clientSecret: otherClient.clientSecret } });
    await expect(otherBank.suspendCard(cardRef, { reason: 'lost' })).rejects.toMatchObject({ status: 404, code: 'card_not_found' });
    await expect(otherBank.listCardTokens(cardRef).toArray()).rejects.toMatchObject({ status: 404, code: 'card_not_found' });
    // An issuer may only register PANs of its own BIN ranges.
    await expect(otherBank.registerCard({ pan: testPan(w.cardPrefix), expMonth: 1, expYear: YEAR + 1 })).rejects.toMatchObject({
      status: 403,
      code: 'cross_tenant_access',
    });
  });

  it('lets the wallet delete a token for good', async () => {
    const deleted = await (await call('DELETE', `/v1/tokens/${t2()}`)).json();
    expect(deleted).toMatchObject({ status: 'DELETED', statusReason: 'cardholder_request' });
    expect((await call('DELETE', `/v1/tokens/${t2()}`)).status).toBe(200);
    const res = await call('POST', `/v1/tokens/${t2()}/suspend`, { reason: 'other' });
    expect(res.status).toBe(409);
    expect((await res.json()).code).toBe('token_deleted');
  });

  it('deletes every token of a stolen card and shreds the card', async () => {
    const result = await bank.deleteCard(cardRef, { reason: 'stolen' });
    expect(result.tokens.every((t) => t.status === 'DELETED')).toBe(true);
    await expect(bank.listCardTokens(cardRef).toArray()).rejects.toBeInstanceOf(OpenTspError);
    const events = await w.sim.waitForWebhooks({ tokenRef: t1(), type: 'token.deleted', receiver: 'wallet' });
    expect(events[0]?.event.data).toMatchObject({ reason: 'stolen', cause: { actor: 'issuer', clientId: w.issuerClient.clientId } });
  });
});
