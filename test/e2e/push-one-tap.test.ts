import { verifyCompact } from '@opentsp/crypto';
import request from 'supertest';
import { startBackgroundWork } from '../../services/tsp/src/compose';
import type { StopFn } from '../../services/tsp/src/context';
import { WebhookReceiver } from '../../services/tsp/test/webhooks/support/webhook-receiver';
import { createPushIssuer, createPushWallet, encryptCard, panIn, storeCard, type PushParty, type WalletParty } from '../../services/tsp/test/push/push-fixtures';
import { startTestTsp, type TestTsp } from '../support/tsp-harness';

/*
 * DESIGN §2 flow 4 over real HTTP and Postgres: the bank app's back end creates a push
 * receipt, the wallet verifies the signed payload and redeems it with one call (one-tap
 * binding), the bank is told by a signed webhook; a bank pushes a card straight into a wallet
 * account and the wallet receives `token.pushed` and lists the card with its other banks' cards.
 */
describe('token push and one-tap binding, end to end', () => {
  let tsp: TestTsp;
  let stopWork: StopFn;
  let bankHook: WebhookReceiver;
  let walletHook: WebhookReceiver;
  let bank: PushParty;
  let secondBank: PushParty;
  let wallet: WalletParty;
  let otherWallet: WalletParty;

  beforeAll(async () => {
    tsp = await startTestTsp();
    const jwks = () => tsp.services.vault.keyRing.publicJwks();
    bankHook = await new WebhookReceiver(jwks).start();
    walletHook = await new WebhookReceiver(jwks).start();
    bank = await createPushIssuer(tsp, { webhookUrl: `${bankHook.url}/bank` });
    secondBank = await createPushIssuer(tsp);
    wallet = await createPushWallet(tsp, { webhookUrl: `${walletHook.url}/wallet` });
    otherWallet = await createPushWallet(tsp, { name: 'Other Wallet' });
    stopWork = startBackgroundWork(tsp.services);
  });
  afterAll(async () => {
    await stopWork();
    await Promise.all([bankHook.close(), walletHook.close()]);
    await tsp.services.identity.close();
    await tsp.close();
  });

  it('binds a card with one tap: receipt → verified payload → redemption → ACTIVE token (14) → signed issuer webhook', async () => {
    const cardRef = await storeCard(tsp, bank, 1);
    const created = await request(tsp.url).post('/v1/push-receipts').set(bank.auth).send({ cardRef, trid: wallet.trid, walletAccountId: 'wa_alice' });
    expect(created.status).toBe(201);

    // The wallet app opens the deep link and checks the TSP signature before showing the card.
    const link = new URL(created.body.deepLink);
    const { payload } = await verifyCompact(link.searchParams.get('signedPayload') as string, (await request(tsp.url).get('/.well-known/jwks.json')).body);
    expect(JSON.parse(payload.toString('utf8'))).toMatchObject({ aud: wallet.trid, card: { issuerName: bank.issuer.name } });

    const redeemed = await request(tsp.url)
      .post('/v1/tokens')
      .set(wallet.auth)
      .send({ pushReceipt: link.searchParams.get('pushReceipt'), walletAccountId: 'wa_alice', device: { id: 'dev_alice', type: 'phone', os: 'ios' } });
    expect(redeemed.status).toBe(201);
    expect(redeemed.body).toMatchObject({ status: 'ACTIVE', assuranceMethod: '14', walletAccountId: 'wa_alice', card: { cardRef } });

    await bankHook.until((all) => all.some((r) => r.event.type === 'token.created' && r.event.data.token.tokenRef === redeemed.body.tokenRef));
    const bankCreated = bankHook.received.find((r) => r.event.type === 'token.created' && r.event.data.token.tokenRef === redeemed.body.tokenRef);
    expect(bankCreated?.signature.ok).toBe(true);

    const again = await request(tsp.url).post('/v1/tokens').set(wallet.auth).send({ pushReceipt: link.searchParams.get('pushReceipt'), walletAccountId: 'wa_alice' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('receipt_already_redeemed');
  });

  it('refuses wrong-requestor, wrong-account and altered receipts over HTTP with distinct codes', async () => {
    const cardRef = await storeCard(tsp, bank, 2);
    const { body: receipt } = await request(tsp.url).post('/v1/push-receipts').set(bank.auth).send({ cardRef, trid: wallet.trid, walletAccountId: 'wa_bob' });
    const wrongTr = await request(tsp.url).post('/v1/tokens').set(otherWallet.auth).send({ pushReceipt: receipt.pushReceipt, walletAccountId: 'wa_bob' });
    expect([wrongTr.status, wrongTr.body.code]).toEqual([403, 'receipt_wrong_requestor']);
    const wrongAccount = await request(tsp.url).post('/v1/tokens').set(wallet.auth).send({ pushReceipt: receipt.pushReceipt, walletAccountId: 'wa_mallory' });
    expect([wrongAccount.status, wrongAccount.body.code]).toEqual([403, 'receipt_wrong_account']);
    const altered = `${receipt.pushReceipt.slice(0, -2)}${receipt.pushReceipt.endsWith('AA') ? 'BB' : 'AA'}`;
    const notFound = await request(tsp.url).post('/v1/tokens').set(wallet.auth).send({ pushReceipt: altered, walletAccountId: 'wa_bob' });
    expect([notFound.status, notFound.body.code]).toEqual([404, 'receipt_not_found']);
  });

  it('pushes a card straight into a wallet account: token.pushed reaches the wallet, the card is in its list', async () => {
    const pan = panIn(bank.issuer.cardBinRanges[0]?.prefix as string, 3);
    const pushed = await request(tsp.url)
      .post('/v1/issuer/tokens')
      .set(bank.auth)
      .send({ encryptedCard: await encryptCard(tsp, pan), trid: wallet.trid, walletAccountId: 'wa_carol' });
    expect(pushed.status).toBe(201);
    expect(pushed.body).toMatchObject({ status: 'ACTIVE', assuranceMethod: '14', walletAccountId: 'wa_carol' });
    expect(pushed.text).not.toContain(pan);

    await walletHook.until((all) => all.some((r) => r.event.type === 'token.pushed' && r.event.data.token.tokenRef === pushed.body.tokenRef));
    const event = walletHook.received.find((r) => r.event.type === 'token.pushed');
    expect(event?.signature.ok).toBe(true);
    expect(event?.path).toBe('/wallet');
    // token.pushed is for the wallet only.
    expect(bankHook.received.some((r) => r.event.type === 'token.pushed')).toBe(false);

    const list = await request(tsp.url).get('/v1/tokens').query({ walletAccountId: 'wa_carol' }).set(wallet.auth);
    expect(list.status).toBe(200);
    expect(list.body.data.map((t: { tokenRef: string }) => t.tokenRef)).toEqual([pushed.body.tokenRef]);
  });

  it('lists one wallet account\'s cards from two banks in one stable list; another wallet sees neither', async () => {
    const account = 'wa_dave';
    const first = await request(tsp.url).post('/v1/issuer/tokens').set(bank.auth).send({ cardRef: await storeCard(tsp, bank, 4), trid: wallet.trid, walletAccountId: account });
    const second = await request(tsp.url).post('/v1/issuer/tokens').set(secondBank.auth).send({ cardRef: await storeCard(tsp, secondBank, 5), trid: wallet.trid, walletAccountId: account });
    expect([first.status, second.status]).toEqual([201, 201]);

    const page1 = await request(tsp.url).get('/v1/tokens').query({ walletAccountId: account, limit: 1 }).set(wallet.auth);
    expect(page1.status).toBe(200);
    expect(page1.body.nextCursor).toEqual(expect.any(String));
    const page2 = await request(tsp.url).get('/v1/tokens').query({ walletAccountId: account, limit: 1, cursor: page1.body.nextCursor }).set(wallet.auth);
    const listed = [...page1.body.data, ...page2.body.data];
    expect(listed.map((t: { tokenRef: string }) => t.tokenRef)).toEqual([first.body.tokenRef, second.body.tokenRef]);
    expect(listed.map((t: { card: { issuerName: string } }) => t.card.issuerName)).toEqual([bank.issuer.name, secondBank.issuer.name]);
    expect(listed[0].card.cardArtAssetId).toBe('art_gold');

    const stranger = await request(tsp.url).get('/v1/tokens').query({ walletAccountId: account }).set(otherWallet.auth);
    expect(stranger.status).toBe(200);
    expect(stranger.body.data).toEqual([]);
  });
});
