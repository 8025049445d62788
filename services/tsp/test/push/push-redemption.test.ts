import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import request from 'supertest';
import type { Principal } from '../../src/domain/principal';
import type { TspError } from '../../src/errors';
import { buildPushServices } from '../../src/composition/push';
import type { PushServices } from '../../src/domain/push';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';
import { createPushIssuer, createPushWallet, storeCard, type PushParty, type WalletParty } from './push-fixtures';

/*
 * Redemption through `services.push.redeem` (what `POST /v1/tokens` with `{ pushReceipt }`
 * dispatches to), with real principals from real access tokens. The end-to-end tests in
 * test/e2e/push-*.test.ts drive the same over HTTP.
 */
describe('push receipt redemption', () => {
  let tsp: TestTsp;
  let bank: PushParty;
  let wallet: WalletParty;
  let otherWallet: WalletParty;
  let walletPrincipal: Principal;
  let otherPrincipal: Principal;
  let serial = 100;
  // The failed-redemption budget's clock: the budget tests move it instead of sleeping.
  let now = new Date('2030-01-01T00:00:00.000Z');
  let clocked: PushServices;

  const principalOf = (auth: { Authorization: string }): Principal =>
    tsp.services.identity.authenticator.authenticate(auth.Authorization.slice('Bearer '.length));

  async function newReceipt(body: Record<string, unknown> = {}): Promise<{ pushReceipt: string; receiptId: string; cardRef: string }> {
    const cardRef = await storeCard(tsp, bank, serial++);
    const res = await request(tsp.url).post('/v1/push-receipts').set(bank.auth).send({ cardRef, trid: wallet.trid, ...body });
    expect(res.status).toBe(201);
    return res.body;
  }

  async function refusal(promise: Promise<unknown>): Promise<TspError> {
    try {
      await promise;
    } catch (err) {
      return err as TspError;
    }
    throw new Error('expected a refusal');
  }

  beforeAll(async () => {
    // A small budget so the guessing test is quick; every other test stays well under it.
    tsp = await startTestTsp({ OPENTSP_PUSH_REDEEM_FAILURE_BUDGET: '5', OPENTSP_PUSH_REDEEM_WINDOW_SECONDS: '3' });
    bank = await createPushIssuer(tsp);
    wallet = await createPushWallet(tsp);
    otherWallet = await createPushWallet(tsp, { name: 'Other Wallet' });
    walletPrincipal = principalOf(wallet.auth);
    otherPrincipal = principalOf(otherWallet.auth);
    clocked = await buildPushServices({ ...tsp.ctx, clock: () => now }, tsp.services, tsp.services.tokens);
  });
  afterAll(async () => {
    await tsp.services.identity.close();
    await tsp.close();
  });
  // Each test starts with a fresh failure budget.
  beforeEach(async () => {
    await tsp.db.db.deleteFrom('push_redemption_failures').execute();
  });

  it('creates an ACTIVE token with assurance method 14 and marks the receipt redeemed', async () => {
    const receipt = await newReceipt({ walletAccountId: 'wa_one' });
    const token = await tsp.services.push.redeem(walletPrincipal, { pushReceipt: receipt.pushReceipt, walletAccountId: 'wa_one', device: { id: 'dev_1', type: 'phone', os: 'android', ip: '203.0.113.9' } }, { requestId: 'req-1' });
    expect(token).toMatchObject({ status: 'ACTIVE', assuranceMethod: '14', trid: wallet.trid, walletAccountId: 'wa_one', card: { cardRef: receipt.cardRef, issuerName: bank.issuer.name } });
    expect(token.domain).toEqual({ channels: ['nfc', 'in_app'], tokenLocation: '02' });
    expect(token.device).toEqual({ id: 'dev_1', type: 'phone', os: 'android' });
    const row = await tsp.db.db.selectFrom('push_receipts').selectAll().where('id', '=', receipt.receiptId).executeTakeFirstOrThrow();
    expect(row.redeemed_at).toBeInstanceOf(Date);
    expect(row.redeemed_token_ref).toBe(token.tokenRef);
    const audit = await tsp.db.db.selectFrom('audit_entries').select(['action', 'outcome', 'details']).where('subject_id', '=', receipt.receiptId).orderBy('pk').execute();
    expect(audit.map((a) => `${a.action}:${a.outcome}`)).toEqual(['push_receipt.create:success', 'push_receipt.redeem:success']);
    expect(JSON.stringify(audit)).not.toContain(receipt.pushReceipt);
  });

  it('refuses a receipt redeemed twice with receipt_already_redeemed', async () => {
    const receipt = await newReceipt();
    await tsp.services.push.redeem(walletPrincipal, { pushReceipt: receipt.pushReceipt, walletAccountId: 'wa_2' }, {});
    const err = await refusal(tsp.services.push.redeem(walletPrincipal, { pushReceipt: receipt.pushReceipt, walletAccountId: 'wa_2' }, {}));
    expect(err.code).toBe('receipt_already_redeemed');
  });

  it('creates exactly one token from two concurrent redemptions of one receipt', async () => {
    const receipt = await newReceipt();
    const body = { pushReceipt: receipt.pushReceipt, walletAccountId: 'wa_race' };
    const results = await Promise.allSettled([tsp.services.push.redeem(walletPrincipal, body, {}), tsp.services.push.redeem(walletPrincipal, body, {})]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected.map((r) => (r.reason as TspError).code)).toEqual(['receipt_already_redeemed']);
    const tokens = await tsp.db.db.selectFrom('tokens').select('token_ref').where('card_ref', '=', receipt.cardRef).execute();
    expect(tokens).toHaveLength(1);
  });

  it('refuses an expired receipt with receipt_expired', async () => {
    const receipt = await newReceipt();
    await tsp.db.db.updateTable('push_receipts').set({ expires_at: sql<Date>`now() - interval '1 second'` }).where('id', '=', receipt.receiptId).execute();
    const err = await refusal(tsp.services.push.redeem(walletPrincipal, { pushReceipt: receipt.pushReceipt, walletAccountId: 'wa_3' }, {}));
    expect(err.code).toBe('receipt_expired');
  });

  it('refuses a receipt issued for another wallet with receipt_wrong_requestor, leaving it redeemable', async () => {
    const receipt = await newReceipt();
    const err = await refusal(tsp.services.push.redeem(otherPrincipal, { pushReceipt: receipt.pushReceipt, walletAccountId: 'wa_4' }, {}));
    expect(err.code).toBe('receipt_wrong_requestor');
    await expect(tsp.services.push.redeem(walletPrincipal, { pushReceipt: receipt.pushReceipt, walletAccountId: 'wa_4' }, {})).resolves.toMatchObject({ status: 'ACTIVE' });
  });

  it('refuses a receipt naming another wallet account with receipt_wrong_account', async () => {
    const receipt = await newReceipt({ walletAccountId: 'wa_named' });
    const err = await refusal(tsp.services.push.redeem(walletPrincipal, { pushReceipt: receipt.pushReceipt, walletAccountId: 'wa_other' }, {}));
    expect(err.code).toBe('receipt_wrong_account');
    const denied = await tsp.db.db.selectFrom('audit_entries').select('details').where('subject_id', '=', receipt.receiptId).where('outcome', '=', 'denied').execute();
    expect(denied.map((d) => d.details.code)).toEqual(['receipt_wrong_account']);
  });

  it('answers an unknown or altered receipt value with receipt_not_found', async () => {
    const receipt = await newReceipt();
    const last = receipt.pushReceipt.slice(-1) === 'A' ? 'B' : 'A';
    const altered = `${receipt.pushReceipt.slice(0, -1)}${last}`;
    const err = await refusal(tsp.services.push.redeem(walletPrincipal, { pushReceipt: altered, walletAccountId: 'wa_5' }, {}));
    expect(err.code).toBe('receipt_not_found');
  });

  it('bounds guessing: after the failure budget even a valid receipt gets rate_limited until the window passes', async () => {
    const receipt = await newReceipt();
    now = new Date('2030-01-01T00:10:00.000Z'); // the start of a 3-second window
    for (let i = 0; i < 5; i++) {
      const err = await refusal(clocked.redeem(walletPrincipal, { pushReceipt: randomBytes(32).toString('base64url'), walletAccountId: 'wa_6' }, {}));
      expect(err.code).toBe('receipt_not_found');
    }
    now = new Date('2030-01-01T00:10:02.999Z');
    const limited = await refusal(clocked.redeem(walletPrincipal, { pushReceipt: receipt.pushReceipt, walletAccountId: 'wa_6' }, {}));
    expect(limited.code).toBe('rate_limited');
    // Another requestor's budget is its own.
    expect((await refusal(clocked.redeem(otherPrincipal, { pushReceipt: receipt.pushReceipt, walletAccountId: 'wa_6' }, {}))).code).toBe('receipt_wrong_requestor');
    now = new Date('2030-01-01T00:10:03.000Z');
    await expect(clocked.redeem(walletPrincipal, { pushReceipt: receipt.pushReceipt, walletAccountId: 'wa_6' }, {})).resolves.toMatchObject({ status: 'ACTIVE' });
  });

  it('one wallet account replaying a redeemed receipt spends only its own budget: other accounts and devices of the same wallet still redeem', async () => {
    now = new Date('2030-01-01T00:20:00.000Z');
    const replayed = await newReceipt();
    await clocked.redeem(walletPrincipal, { pushReceipt: replayed.pushReceipt, walletAccountId: 'wa_replayer' }, {});
    const replayerDevice = { id: 'dev_replayer', type: 'phone' as const };
    for (let i = 0; i < 5; i++) {
      const err = await refusal(clocked.redeem(walletPrincipal, { pushReceipt: replayed.pushReceipt, walletAccountId: 'wa_replayer', device: replayerDevice }, {}));
      expect(err.code).toBe('receipt_already_redeemed');
    }
    // The replayer is now limited, on its account and on its device (another account on it).
    const mine = await newReceipt();
    expect((await refusal(clocked.redeem(walletPrincipal, { pushReceipt: mine.pushReceipt, walletAccountId: 'wa_replayer' }, {}))).code).toBe('rate_limited');
    expect((await refusal(clocked.redeem(walletPrincipal, { pushReceipt: mine.pushReceipt, walletAccountId: 'wa_fresh', device: replayerDevice }, {}))).code).toBe('rate_limited');
    // Everyone else of the same wallet (same TRID) is not.
    const theirs = await newReceipt();
    await expect(
      clocked.redeem(walletPrincipal, { pushReceipt: theirs.pushReceipt, walletAccountId: 'wa_bystander', device: { id: 'dev_bystander', type: 'phone' } }, {}),
    ).resolves.toMatchObject({ status: 'ACTIVE', walletAccountId: 'wa_bystander' });
    const unnamed = await newReceipt();
    await expect(clocked.redeem(walletPrincipal, { pushReceipt: unnamed.pushReceipt, walletAccountId: 'wa_bystander_2' }, {})).resolves.toMatchObject({ status: 'ACTIVE' });
  });

  it('refuses an issuer redeeming with forbidden', async () => {
    const receipt = await newReceipt();
    const err = await refusal(tsp.services.push.redeem(principalOf(bank.auth), { pushReceipt: receipt.pushReceipt, walletAccountId: 'wa_7' }, {}));
    expect(err.code).toBe('forbidden');
  });
});
