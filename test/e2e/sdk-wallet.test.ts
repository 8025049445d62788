import http, { type IncomingHttpHeaders, type Server } from 'node:http';
import { randomInt } from 'node:crypto';
import {
  AcquirerClient,
  ConflictError,
  IssuerClient,
  PermissionError,
  ValidationError,
  WalletClient,
  WebhookVerificationError,
  type Device,
  type OctJwk,
} from '@opentsp/wallet-sdk';
import { createTestClient, createTestIssuer, type Issuer, type TestClient } from '../support/clients';
import { startProvisioningWorld, testPan, type ProvisioningWorld } from '../support/issuer-sim-harness';
import { registerTestPans } from '../support/leak-scan';

/*
 * The wallet SDK against the real TSP, issuer-sim and Postgres (issue 8, must-show): every
 * call below goes through `@opentsp/wallet-sdk` over HTTP; nothing is stubbed.
 */

const EXP_YEAR = new Date().getUTCFullYear() + 3;
const MERCHANT = '898310048160001';

/** A wallet account and a device of their own per test: velocity rules count per device / account. */
function fresh(): { walletAccountId: string; device: Device } {
  const n = randomInt(1e9);
  return { walletAccountId: `wa_sdk_${n}`, device: { id: `dev_sdk_${n}`, type: 'phone', os: 'android', score: 90 } };
}

function cardOf(prefix: string, last3: string): { pan: string; expMonth: number; expYear: number; cvv2: string } {
  const pan = testPan(prefix, last3);
  registerTestPans(pan);
  return { pan, expMonth: 12, expYear: EXP_YEAR, cvv2: '123' };
}

/** The wallet's webhook endpoint: keeps each delivery's raw body and headers, as received. */
class RawWebhookReceiver {
  readonly received: Array<{ body: Buffer; headers: IncomingHttpHeaders }> = [];
  #server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.#server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ body: Buffer.concat(chunks), headers: req.headers });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    const address = this.#server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/opentsp/webhooks`;
    return this;
  }

  /** The first delivery whose body contains every one of `texts`, waiting for it. */
  async waitFor(texts: string[], timeoutMs = 10_000): Promise<{ body: Buffer; headers: IncomingHttpHeaders }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.received.find((r) => texts.every((t) => r.body.includes(t)));
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no webhook containing ${texts.join(', ')} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server?.close(() => resolve());
      this.#server?.closeAllConnections();
    });
  }
}

describe('wallet SDK end to end (TSP + issuer-sim + Postgres)', () => {
  let w: ProvisioningWorld;
  let hooks: RawWebhookReceiver;
  let walletParty: TestClient;
  let secondIssuer: Issuer;
  let acquirerParty: TestClient;
  let wallet: WalletClient;
  let bank: IssuerClient;
  let secondBank: IssuerClient;
  let acquirer: AcquirerClient;
  let trid: string;

  beforeAll(async () => {
    w = await startProvisioningWorld({ env: { OPENTSP_WEBHOOK_POLL_INTERVAL_MS: '100' } });
    hooks = await new RawWebhookReceiver().start();
    walletParty = await createTestClient(w.tsp, { role: 'wallet', webhookUrl: hooks.url, appUri: 'opentspwallet://push' });
    secondIssuer = await createTestIssuer(w.tsp, { name: 'Second Test Bank' });
    const secondIssuerParty = await createTestClient(w.tsp, { role: 'issuer', issuerId: secondIssuer.issuerId });
    acquirerParty = await createTestClient(w.tsp, { role: 'acquirer', merchantIds: [MERCHANT], responseEncryption: { alg: 'A256GCMKW' } });
    trid = walletParty.client.trid as string;
    const baseUrl = w.tsp.url;
    wallet = new WalletClient({ baseUrl, credentials: walletParty, trid });
    bank = new IssuerClient({ baseUrl, credentials: w.issuerClient });
    secondBank = new IssuerClient({ baseUrl, credentials: secondIssuerParty });
    acquirer = new AcquirerClient({ baseUrl, credentials: acquirerParty, responseKey: acquirerParty.responseEncryptionKey as OctJwk });
  });
  afterAll(async () => {
    await hooks?.close();
    await w?.close();
  });

  it('provisions a card on the green path: ACTIVE at once, the PAN never in the answer', async () => {
    const card = cardOf(w.cardPrefix, '234');
    const result = await wallet.provisionCard(card, { ...fresh(), tokenLocation: '02', channel: 'nfc' });
    expect(result.outcome).toBe('active');
    expect(result.token).toMatchObject({ status: 'ACTIVE', assuranceMethod: '13', card: { panLast4: card.pan.slice(-4) } });
    expect(JSON.stringify(result)).not.toContain(card.pan);
  });

  it('provisions with OTP step-up: a wrong code is refused, the code from the bank\'s inbox activates', async () => {
    const result = await wallet.provisionCard(cardOf(w.cardPrefix, '111'), { ...fresh(), tokenLocation: '02', channel: 'nfc' });
    if (result.outcome !== 'verification_required') throw new Error(`expected step-up, got ${result.outcome}`);
    const { verification } = result;
    const challenge = await verification.start(verification.methods[0]?.id as string);
    expect(challenge).toMatchObject({ tokenRef: result.token.tokenRef, attemptsRemaining: 5 });

    // issuer-sim's inbox stands in for the cardholder's phone.
    const inbox = await fetch(`${w.sim.url}/otp-deliveries/latest?tokenRef=${encodeURIComponent(result.token.tokenRef)}`);
    expect(inbox.status).toBe(200);
    const { otp } = (await inbox.json()) as { otp: string };
    expect(otp).toMatch(/^[0-9]{6}$/);

    const wrong = await verification.confirm(otp === '000000' ? '111111' : '000000').catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(ValidationError);
    expect(wrong).toMatchObject({ code: 'otp_invalid', status: 422, attemptsRemaining: 4 });

    const token = await verification.confirm(otp);
    expect(token).toMatchObject({ tokenRef: result.token.tokenRef, status: 'ACTIVE', assuranceMethod: '11' });
  });

  it('binds with one tap from an issuer-created receipt, once', async () => {
    const { walletAccountId, device } = fresh();
    const { cardRef } = await bank.registerCard(cardOf(w.cardPrefix, '234'));
    const receipt = await bank.createPushReceipt({ cardRef }, { trid, walletAccountId });

    const token = await wallet.bindWithPushReceipt(receipt, { walletAccountId, device });
    expect(token).toMatchObject({ status: 'ACTIVE', assuranceMethod: '14', walletAccountId, card: { cardRef } });

    const again = await wallet.bindWithPushReceipt(receipt, { walletAccountId, device }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ConflictError);
    expect(again).toMatchObject({ code: 'receipt_already_redeemed', status: 409 });
  });

  it('binds from the bank\'s deep link, after previewing the card; refuses it for another account locally', async () => {
    const { walletAccountId, device } = fresh();
    const card = cardOf(w.cardPrefix, '234');
    const receipt = await bank.createPushReceipt({ card }, { trid, walletAccountId, callbackUrl: 'https://bank.example.org/back' });
    expect(receipt.deepLink).toMatch(/\?pushReceipt=/);

    const preview = await wallet.previewPushReceipt(receipt.deepLink, walletAccountId);
    expect(preview.claims.card).toMatchObject({ panLast4: card.pan.slice(-4), issuerName: w.issuer.name });
    expect(preview.callbackUrl).toBe('https://bank.example.org/back');

    const elsewhere = await wallet.bindWithPushReceipt(receipt.deepLink, { walletAccountId: 'wa_sdk_someone_else', device }).catch((e: unknown) => e);
    expect(elsewhere).toBeInstanceOf(PermissionError);
    expect(elsewhere).toMatchObject({ code: 'receipt_wrong_account', status: undefined });

    const token = await wallet.bindWithPushReceipt(receipt.deepLink, { walletAccountId, device });
    expect(token).toMatchObject({ status: 'ACTIVE', assuranceMethod: '14', walletAccountId });
  });

  it('receives a direct push as a token.pushed webhook that verifyWebhook accepts, and refuses it altered', async () => {
    const { walletAccountId } = fresh();
    const pushed = await bank.pushToWallet({ card: cardOf(w.cardPrefix, '234') }, { trid, walletAccountId });
    expect(pushed).toMatchObject({ status: 'ACTIVE', walletAccountId });

    const pushedDelivery = await hooks.waitFor(['"token.pushed"', pushed.tokenRef]);
    const event = await wallet.verifyWebhook(pushedDelivery.body, pushedDelivery.headers);
    expect(event.type).toBe('token.pushed');
    expect(event.data).toMatchObject({ token: { tokenRef: pushed.tokenRef, walletAccountId } });

    const altered = Buffer.from(pushedDelivery.body.toString('utf8').replace(walletAccountId, 'wa_sdk_attacker'));
    const refused = await wallet.verifyWebhook(altered, pushedDelivery.headers).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WebhookVerificationError);
    expect(refused).toMatchObject({ code: 'webhook_signature_invalid' });
  });

  it('lists one account\'s cards from two banks, page by page with for await', async () => {
    const { walletAccountId } = fresh();
    const first = await bank.pushToWallet({ card: cardOf(w.cardPrefix, '234') }, { trid, walletAccountId });
    const second = await secondBank.pushToWallet({ card: cardOf(secondIssuer.cardBinRanges[0]?.prefix as string, '234') }, { trid, walletAccountId });

    const listed: Array<{ tokenRef: string; issuerName: string }> = [];
    for await (const token of wallet.listCards(walletAccountId, { limit: 1 })) {
      listed.push({ tokenRef: token.tokenRef, issuerName: token.card.issuerName });
    }
    expect(listed).toEqual([
      { tokenRef: first.tokenRef, issuerName: w.issuer.name },
      { tokenRef: second.tokenRef, issuerName: 'Second Test Bank' },
    ]);
    expect(await wallet.listCards('wa_sdk_nobody').toArray()).toEqual([]);
  });

  it('pays: payment credentials detokenize to the original PAN, as a redacting Pan, once', async () => {
    const card = cardOf(w.cardPrefix, '234');
    const provisioned = await wallet.provisionCard(card, { ...fresh(), tokenLocation: '02', channel: 'nfc' });
    const creds = await wallet.getPaymentCredentials(provisioned.token.tokenRef, { amount: 12800, currency: 'CNY', merchantId: MERCHANT, channel: 'nfc' });
    expect(creds).toMatchObject({ tokenRef: provisioned.token.tokenRef, tokenPan: expect.stringMatching(/^6288/) });
    expect(creds.tokenPan).not.toBe(card.pan);

    const { tokenPan, tokenExpiry, cryptogram, atc, transaction } = creds;
    const result = await acquirer.detokenize({ tokenPan, tokenExpiry, cryptogram, atc, transaction });
    expect(result.card.pan.reveal()).toBe(card.pan);
    expect(String(result.card.pan)).toBe('[redacted]');
    expect(`${result.card.pan}`).toBe('[redacted]');
    expect(JSON.stringify(result)).not.toContain(card.pan);
    expect(result).toMatchObject({ tokenRef: provisioned.token.tokenRef, trid, card: { expMonth: 12, expYear: EXP_YEAR } });

    const replay = await acquirer.detokenize({ tokenPan, tokenExpiry, cryptogram, atc, transaction }).catch((e: unknown) => e);
    expect(replay).toBeInstanceOf(ConflictError);
    expect(replay).toMatchObject({ code: 'atc_replayed', status: 409 });
  });
});
