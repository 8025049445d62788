import { randomInt } from 'node:crypto';
import { AcquirerClient, IssuerClient, PermissionError, tokenExpiryChange, WalletClient, type OctJwk, type PaymentCredentials, type WebhookEvent } from '@opentsp/wallet-sdk';
import { createTestClient, type TestClient } from '../support/clients';
import { startProvisioningWorld, testPan, type ProvisioningWorld } from '../support/issuer-sim-harness';

/*
 * Card reissue past the old card's expiry (DESIGN §2 flow 5, issue 20): the token's own expiry
 * is renewed and announced, payment credentials carry the new one, and detokenization accepts
 * the previous one only for the grace window. The service's calendar clock is moved forward
 * (no real waiting); everything else is the real TSP, issuer-sim, SDK and Postgres.
 */

const MERCHANT = '898310048160001';
const DAY_MS = 86_400_000;

type Expiry = { month: number; year: number };

/** The expiry month `months` after the month of `at` (UTC). */
function monthsFrom(at: Date, months: number): Expiry {
  const index = at.getUTCFullYear() * 12 + at.getUTCMonth() + months;
  return { month: (index % 12) + 1, year: Math.floor(index / 12) };
}

/** The first instant after an expiry month (a card is valid through its last day). */
function endOf(expiry: Expiry): Date {
  return new Date(Date.UTC(expiry.year, expiry.month, 1));
}

function fresh() {
  const n = randomInt(1e9);
  return { walletAccountId: `wa_exp_${n}`, device: { id: `dev_exp_${n}`, type: 'phone' as const, os: 'android' as const, score: 90 }, tokenLocation: '02' as const, channel: 'nfc' as const };
}

describe('a token outlives its card\'s reissue', () => {
  let now = new Date();
  let w: ProvisioningWorld;
  let wallet: WalletClient;
  let bank: IssuerClient;
  let acquirer: AcquirerClient;
  let acquirerParty: TestClient;

  beforeAll(async () => {
    w = await startProvisioningWorld({ env: { OPENTSP_WEBHOOK_POLL_INTERVAL_MS: '100' }, standInDecision: 'approve', clock: () => now });
    acquirerParty = await createTestClient(w.tsp, { role: 'acquirer', merchantIds: [MERCHANT], responseEncryption: { alg: 'A256GCMKW' } });
    const baseUrl = w.tsp.url;
    wallet = new WalletClient({ baseUrl, credentials: w.wallet, trid: w.wallet.client.trid as string });
    bank = new IssuerClient({ baseUrl, credentials: w.issuerClient });
    acquirer = new AcquirerClient({ baseUrl, credentials: acquirerParty, responseKey: acquirerParty.responseEncryptionKey as OctJwk });
  });
  afterAll(async () => {
    await w?.close();
  });

  /** A card expiring two months from the clock, registered by the bank, and its ACTIVE token. */
  async function tokenOnExpiringCard() {
    const oldExpiry = monthsFrom(now, 2);
    const card = { pan: testPan(w.cardPrefix, '234'), expMonth: oldExpiry.month, expYear: oldExpiry.year, cvv2: '123' };
    const { cardRef } = await bank.registerCard(card);
    const result = await wallet.provisionCard(card, fresh());
    expect(result).toMatchObject({ outcome: 'active', token: { tokenExpiry: oldExpiry } });
    return { cardRef, tokenRef: result.token.tokenRef, oldExpiry };
  }

  function presented(credentials: PaymentCredentials, tokenExpiry: Expiry) {
    const { tokenPan, cryptogram, atc, transaction } = credentials;
    return acquirer.detokenize({ tokenPan, tokenExpiry, cryptogram, atc, transaction });
  }

  function pay(tokenRef: string) {
    return wallet.getPaymentCredentials(tokenRef, { amount: 4200, currency: 'CNY', merchantId: MERCHANT, channel: 'in_app' });
  }

  it('pays after the old card expired: credentials carry the renewed expiry and the acquirer gets the new card', async () => {
    const { cardRef, tokenRef, oldExpiry } = await tokenOnExpiringCard();
    const newExpiry = monthsFrom(now, 30);
    const newPan = testPan(w.cardPrefix, '987');
    const updated = await bank.updateCard(cardRef, { pan: newPan, expMonth: newExpiry.month, expYear: newExpiry.year });

    now = new Date(endOf(oldExpiry).getTime() + 10 * DAY_MS); // the old card and the old token expiry are over
    const credentials = await pay(tokenRef);
    expect(credentials.tokenExpiry).toEqual(newExpiry);
    const granted = await presented(credentials, newExpiry);
    expect({ pan: granted.card.pan.reveal(), expMonth: granted.card.expMonth, expYear: granted.card.expYear }).toEqual({
      pan: newPan,
      expMonth: newExpiry.month,
      expYear: newExpiry.year,
    });
    expect((await wallet.getCard(tokenRef)).tokenExpiry).toEqual(newExpiry);
    expect(updated.tokens.map((t) => [t.tokenRef, t.tokenExpiry])).toEqual([[tokenRef, newExpiry]]);

    // Announced to the wallet and the bank, once each, with the previous and the new expiry.
    for (const receiver of ['wallet', 'issuer']) {
      const [event] = await w.sim.waitForWebhooks({ tokenRef, type: 'token.updated', receiver });
      expect(tokenExpiryChange(event?.event as unknown as WebhookEvent)).toEqual({ previous: oldExpiry, current: newExpiry });
    }
    const outbox = await w.tsp.db.db.selectFrom('webhook_events').select('id').where('token_ref', '=', tokenRef).where('type', '=', 'token.updated').execute();
    expect(outbox).toHaveLength(1);
  });

  it('accepts the previous token expiry for the grace window after the change, then only the new one', async () => {
    const { cardRef, tokenRef, oldExpiry } = await tokenOnExpiringCard();
    const newExpiry = monthsFrom(now, 24);
    await bank.updateCard(cardRef, { pan: testPan(w.cardPrefix, '456'), expMonth: newExpiry.month, expYear: newExpiry.year });
    const changedAt = now.getTime();

    now = new Date(changedAt + DAY_MS); // a merchant still holds the old expiry
    const inGrace = await pay(tokenRef);
    expect(inGrace.tokenExpiry).toEqual(newExpiry);
    const granted = await presented(inGrace, oldExpiry);
    expect(granted.tokenRef).toBe(tokenRef);

    const graceDays = w.tsp.config.tokenExpiry.graceDays;
    now = new Date(changedAt + (graceDays + 1) * DAY_MS);
    const late = await pay(tokenRef);
    const refused = await presented(late, oldExpiry).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PermissionError);
    expect(refused).toMatchObject({ code: 'token_expiry_mismatch', status: 403 });
    // The refusal used nothing up: the same cryptogram with the current expiry goes through.
    expect((await presented(late, newExpiry)).tokenRef).toBe(tokenRef);
  });
});
