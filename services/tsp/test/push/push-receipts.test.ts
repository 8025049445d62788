import { createHash } from 'node:crypto';
import { verifyCompact } from '@opentsp/crypto';
import request from 'supertest';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';
import { createPushIssuer, createPushWallet, encryptCard, panIn, storeCard, type PushParty, type WalletParty } from './push-fixtures';

function expectProblem(res: request.Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.code).toBe(code);
}

describe('POST /v1/push-receipts', () => {
  let tsp: TestTsp;
  let bank: PushParty;
  let otherBank: PushParty;
  let wallet: WalletParty;
  let cardRef: string;

  beforeAll(async () => {
    tsp = await startTestTsp();
    bank = await createPushIssuer(tsp);
    otherBank = await createPushIssuer(tsp);
    wallet = await createPushWallet(tsp, { webUri: 'https://wallet.example.org/add-card' });
    cardRef = await storeCard(tsp, bank, 1);
  });
  afterAll(async () => {
    await tsp.services.identity.close();
    await tsp.close();
  });

  it('creates a single-use receipt with a deep link and a TSP-signed payload', async () => {
    const res = await request(tsp.url)
      .post('/v1/push-receipts')
      .set(bank.auth)
      .send({ cardRef, trid: wallet.trid, walletAccountId: 'wa_1', callbackUrl: 'https://bank.example.org/back' });
    expect(res.status).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const receipt = res.body;
    expect(receipt).toMatchObject({ cardRef, trid: wallet.trid, walletAccountId: 'wa_1', receiptId: expect.stringMatching(/^pr_/) });
    expect(receipt.pushReceipt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const expiresIn = Date.parse(receipt.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(14 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(15 * 60_000);
    // App scheme first; the receipt, the signed payload and the callback as query parameters.
    const link = new URL(receipt.deepLink);
    expect(`${link.protocol}//${link.host}${link.pathname}`).toBe('opentspwallet://push');
    expect(link.searchParams.get('pushReceipt')).toBe(receipt.pushReceipt);
    expect(link.searchParams.get('signedPayload')).toBe(receipt.signedPayload);
    expect(link.searchParams.get('callbackUrl')).toBe('https://bank.example.org/back');

    const { payload, header } = await verifyCompact(receipt.signedPayload, tsp.services.vault.keyRing.publicJwks());
    expect(header.typ).toBe('opentsp-push-receipt+jwt');
    const claims = JSON.parse(payload.toString('utf8'));
    expect(claims).toMatchObject({
      iss: tsp.config.publicUrl,
      aud: wallet.trid,
      receiptId: receipt.receiptId,
      walletAccountId: 'wa_1',
      exp: Math.floor(Date.parse(receipt.expiresAt) / 1000),
      pushReceiptHash: createHash('sha256').update(receipt.pushReceipt).digest('hex'),
      card: { panLast4: expect.stringMatching(/^[0-9]{4}$/), issuerName: bank.issuer.name, cardArtAssetId: 'art_gold' },
    });
  });

  it('stores only the SHA-256 of the receipt, never the value, in the database and the audit log', async () => {
    const res = await request(tsp.url).post('/v1/push-receipts').set(bank.auth).send({ cardRef, trid: wallet.trid });
    expect(res.status).toBe(201);
    const value: string = res.body.pushReceipt;
    const row = await tsp.db.db.selectFrom('push_receipts').selectAll().where('id', '=', res.body.receiptId).executeTakeFirstOrThrow();
    expect(row.receipt_hash).toBe(createHash('sha256').update(value).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(value);
    const audit = await tsp.db.db.selectFrom('audit_entries').selectAll().where('subject_id', '=', res.body.receiptId).execute();
    expect(audit.map((e) => e.action)).toEqual(['push_receipt.create']);
    expect(JSON.stringify(audit)).not.toContain(value);
    expect(tsp.logs.text()).not.toContain(value);
  });

  it('falls back to the web URI when the wallet registered no app scheme', async () => {
    const webOnly = await createPushWallet(tsp, { appUri: null, webUri: 'https://web-wallet.example.org/add' });
    const res = await request(tsp.url).post('/v1/push-receipts').set(bank.auth).send({ cardRef, trid: webOnly.trid });
    expect(res.status).toBe(201);
    expect(res.body.deepLink.startsWith(`https://web-wallet.example.org/add?pushReceipt=${res.body.pushReceipt}&signedPayload=`)).toBe(true);
  });

  it('stores a card sent as encryptedCard as a card of the calling issuer first', async () => {
    const pan = panIn(bank.issuer.cardBinRanges[0]?.prefix as string, 77);
    const res = await request(tsp.url).post('/v1/push-receipts').set(bank.auth).send({ encryptedCard: await encryptCard(tsp, pan), trid: wallet.trid, ttlSeconds: 120 });
    expect(res.status).toBe(201);
    expect(res.body.cardRef).toMatch(/^card_/);
    const card = await tsp.services.vault.cards.getCard(tsp.db.db, res.body.cardRef);
    expect(card).toMatchObject({ issuerId: bank.issuer.issuerId, panLast4: pan.slice(-4) });
    expect(Date.parse(res.body.expiresAt) - Date.now()).toBeLessThanOrEqual(120_000);
    expect(res.text).not.toContain(pan);
  });

  it("refuses another issuer's card with cross_tenant_access", async () => {
    const res = await request(tsp.url).post('/v1/push-receipts').set(otherBank.auth).send({ cardRef, trid: wallet.trid });
    expectProblem(res, 403, 'cross_tenant_access');
  });

  it("refuses an encryptedCard in another issuer's BIN range with cross_tenant_access", async () => {
    const pan = panIn(bank.issuer.cardBinRanges[0]?.prefix as string, 78);
    const res = await request(tsp.url).post('/v1/push-receipts').set(otherBank.auth).send({ encryptedCard: await encryptCard(tsp, pan), trid: wallet.trid });
    expectProblem(res, 403, 'cross_tenant_access');
    expect(res.text).not.toContain(pan);
  });

  it('refuses an unknown card with card_not_found', async () => {
    const res = await request(tsp.url).post('/v1/push-receipts').set(bank.auth).send({ cardRef: 'card_doesNotExist000000', trid: wallet.trid });
    expectProblem(res, 404, 'card_not_found');
  });

  it('refuses an unknown TRID with requestor_not_found', async () => {
    const res = await request(tsp.url).post('/v1/push-receipts').set(bank.auth).send({ cardRef, trid: '99999999999' });
    expectProblem(res, 422, 'requestor_not_found');
  });

  it('refuses a suspended wallet, and one with no app or web URI, with requestor_not_eligible', async () => {
    const suspended = await createPushWallet(tsp);
    await tsp.services.identity.clients.suspend({ actor: { type: 'system' } }, suspended.client.clientId);
    expectProblem(await request(tsp.url).post('/v1/push-receipts').set(bank.auth).send({ cardRef, trid: suspended.trid }), 403, 'requestor_not_eligible');
    const linkless = await createPushWallet(tsp, { appUri: null });
    expectProblem(await request(tsp.url).post('/v1/push-receipts').set(bank.auth).send({ cardRef, trid: linkless.trid }), 403, 'requestor_not_eligible');
  });

  it('refuses a TTL above the contract maximum with validation_failed', async () => {
    const res = await request(tsp.url).post('/v1/push-receipts').set(bank.auth).send({ cardRef, trid: wallet.trid, ttlSeconds: 3601 });
    expectProblem(res, 400, 'validation_failed');
  });

  it('refuses a wallet calling it with insufficient_scope', async () => {
    const res = await request(tsp.url).post('/v1/push-receipts').set(wallet.auth).send({ cardRef, trid: wallet.trid });
    expectProblem(res, 403, 'insufficient_scope');
  });

  it('makes a signed payload that fails verification once altered', async () => {
    const res = await request(tsp.url).post('/v1/push-receipts').set(bank.auth).send({ cardRef, trid: wallet.trid });
    const [header, payload, signature] = (res.body.signedPayload as string).split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...claims, aud: '40100000099' })).toString('base64url');
    await expect(verifyCompact(`${header}.${forged}.${signature}`, tsp.services.vault.keyRing.publicJwks())).rejects.toMatchObject({ code: 'jws_invalid' });
  });
});
