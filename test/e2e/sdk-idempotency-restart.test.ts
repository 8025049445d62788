import { randomInt, randomUUID } from 'node:crypto';
import { WalletClient } from '@opentsp/wallet-sdk';
import { createTestClient, createTestIssuer, type Issuer, type TestClient } from '../support/clients';
import { testPan } from '../support/issuer-sim-harness';
import { startTestTsp, type TestTsp } from '../support/tsp-harness';

/*
 * Issue 16, the SDK's idempotency promise: an app that provisions with its own
 * Idempotency-Key, restarts, and sends the same card again under that key (a new SDK client,
 * so the card is encrypted afresh) gets the first answer replayed, not a 422.
 */
describe('provisioning with the caller’s own Idempotency-Key across an app restart', () => {
  let tsp: TestTsp;
  let issuer: Issuer;
  let walletParty: TestClient;

  beforeAll(async () => {
    tsp = await startTestTsp();
    issuer = await createTestIssuer(tsp); // stand-in decision: approve
    walletParty = await createTestClient(tsp, { role: 'wallet' });
  });
  afterAll(async () => {
    await tsp?.services.identity.close();
    await tsp?.close();
  });

  it('replays the first token to the restarted app: one token, same answer', async () => {
    const n = randomInt(1e9);
    const context = { walletAccountId: `wa_restart_${n}`, device: { id: `dev_restart_${n}`, type: 'phone' as const, os: 'android' as const }, tokenLocation: '02' as const, channel: 'nfc' as const };
    const card = { pan: testPan(issuer.cardBinRanges[0]?.prefix as string), expMonth: 12, expYear: 2031 };
    const idempotencyKey = randomUUID(); // the app keeps it with its pending operation
    const trid = walletParty.client.trid as string;

    const before = await new WalletClient({ baseUrl: tsp.url, credentials: walletParty, trid }).provisionCard(card, context, { idempotencyKey });
    const afterRestart = await new WalletClient({ baseUrl: tsp.url, credentials: walletParty, trid }).provisionCard(card, context, { idempotencyKey });

    expect(afterRestart.token).toEqual(before.token);
    const tokens = await tsp.db.db.selectFrom('tokens').select('token_ref').where('wallet_account_id', '=', context.walletAccountId).execute();
    expect(tokens.map((t) => t.token_ref)).toEqual([before.token.tokenRef]);
  });
});
