import { randomInt } from 'node:crypto';
import { IssuerClient, WalletClient, type ClientOptions } from '@opentsp/wallet-sdk';
import { createTestClient, createTestIssuer, type Issuer, type TestClient } from '../support/clients';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { testPan } from '../support/issuer-sim-harness';
import { registerTestPans } from '../support/leak-scan';
import { startTestTsp, type TestTsp } from '../support/tsp-harness';

/*
 * The SDK's reliability promises against the REAL TSP, with an HTTP fault proxy in between:
 * a POST whose answer is lost twice (the TSP did the work, the client saw 503) is retried with
 * the same Idempotency-Key and replayed, never performed twice; an expired access token is
 * refreshed transparently, and concurrent calls share one refresh.
 */

const ACCESS_TOKEN_TTL = 60; // the shortest the TSP allows (OPENTSP_ACCESS_TOKEN_TTL_SECONDS)
const FAST_RETRY: ClientOptions['retry'] = { baseDelayMs: 10, maxDelayMs: 50 };

describe('SDK retries and token refresh against the real TSP', () => {
  let tsp: TestTsp;
  let proxy: FaultProxy;
  let issuer: Issuer;
  let walletParty: TestClient;
  let issuerParty: TestClient;
  let trid: string;

  beforeAll(async () => {
    tsp = await startTestTsp({ OPENTSP_ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TOKEN_TTL) });
    proxy = await startFaultProxy(tsp.url);
    issuer = await createTestIssuer(tsp); // stand-in decision: approve
    issuerParty = await createTestClient(tsp, { role: 'issuer', issuerId: issuer.issuerId });
    walletParty = await createTestClient(tsp, { role: 'wallet', appUri: 'opentspwallet://push' });
    trid = walletParty.client.trid as string;
  });
  afterAll(async () => {
    await proxy?.close();
    await tsp?.services.identity.close();
    await tsp?.close();
  });

  const fresh = () => {
    const n = randomInt(1e9);
    return { walletAccountId: `wa_retry_${n}`, device: { id: `dev_retry_${n}`, type: 'phone' as const, os: 'android' as const, score: 90 } };
  };
  const tokensOf = async (walletAccountId: string) =>
    (await tsp.db.db.selectFrom('tokens').select('token_ref').where('wallet_account_id', '=', walletAccountId).execute()).map((r) => r.token_ref);

  it('provisions once when the TSP\'s first two answers are lost as 503: the retries replay, one token exists', async () => {
    const wallet = new WalletClient({ baseUrl: proxy.url, credentials: walletParty, trid, retry: FAST_RETRY });
    const { walletAccountId, device } = fresh();
    const pan = testPan(issuer.cardBinRanges[0]?.prefix as string);
    registerTestPans(pan);
    proxy.inject({ method: 'POST', path: '/v1/tokens', times: 2, after: 'upstream' });
    const before = proxy.exchanges.length;

    const result = await wallet.provisionCard({ pan, expMonth: 12, expYear: 2031 }, { walletAccountId, device, tokenLocation: '02', channel: 'nfc' });

    // The test bank has no decision host: its stand-in never approves a card whose CVV2 nobody
    // checked (card verification), so the token waits for ID&V. What matters here is that it exists once.
    expect(result.outcome).toBe('verification_required');
    const tries = proxy.exchanges.slice(before).filter((e) => e.method === 'POST' && e.path === '/v1/tokens');
    expect(tries.map((t) => [t.upstreamStatus, t.status, t.replayed])).toEqual([
      [201, 503, false], // the TSP created the token; the answer was lost
      [201, 503, true], //  replayed from the idempotency record, lost again
      [201, 201, true], //  replayed, delivered
    ]);
    expect(new Set(tries.map((t) => t.idempotencyKey)).size).toBe(1);
    expect(tries[0]?.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(await tokensOf(walletAccountId)).toEqual([result.token.tokenRef]);
  });

  it('redeems a push receipt once when its answer is lost twice: no receipt_already_redeemed, one token', async () => {
    const wallet = new WalletClient({ baseUrl: proxy.url, credentials: walletParty, trid, retry: FAST_RETRY });
    const bank = new IssuerClient({ baseUrl: tsp.url, credentials: issuerParty });
    const { walletAccountId, device } = fresh();
    const pan = testPan(issuer.cardBinRanges[0]?.prefix as string);
    registerTestPans(pan);
    const receipt = await bank.createPushReceipt({ card: { pan, expMonth: 12, expYear: 2031 } }, { trid, walletAccountId });
    proxy.inject({ method: 'POST', path: '/v1/tokens', times: 2, after: 'upstream' });

    const token = await wallet.bindWithPushReceipt(receipt.deepLink, { walletAccountId, device });

    expect(token).toMatchObject({ status: 'ACTIVE', assuranceMethod: '14', walletAccountId });
    expect(await tokensOf(walletAccountId)).toEqual([token.tokenRef]);
  });

  it('gives up after its retries with the 503 as a typed ServerError, having created nothing', async () => {
    const wallet = new WalletClient({ baseUrl: proxy.url, credentials: walletParty, trid, retry: { ...FAST_RETRY, maxRetries: 1 } });
    const { walletAccountId, device } = fresh();
    const pan = testPan(issuer.cardBinRanges[0]?.prefix as string);
    registerTestPans(pan);
    proxy.inject({ method: 'POST', path: '/v1/tokens', times: 2, after: 'none' });

    const error = await wallet.provisionCard({ pan, expMonth: 12, expYear: 2031 }, { walletAccountId, device, tokenLocation: '02', channel: 'nfc' }).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'ServerError', code: 'service_unavailable', status: 503 });
    expect(await tokensOf(walletAccountId)).toEqual([]);
  });

  describe('with the clock moved past the access token\'s expiry', () => {
    const realNow = Date.now.bind(Date);
    let offsetMs = 0;
    beforeAll(() => {
      // The TSP runs in this process: moving Date.now moves its clock (token signing and checks).
      jest.spyOn(Date, 'now').mockImplementation(() => realNow() + offsetMs);
    });
    afterAll(() => {
      jest.restoreAllMocks();
    });
    const tokenCalls = () => proxy.count('POST', '/oauth2/token');
    const listTen = (wallet: WalletClient, walletAccountId: string) =>
      Promise.all(Array.from({ length: 10 }, () => wallet.listCards(walletAccountId).firstPage()));

    it('refreshes before expiry, and ten concurrent calls share one token request', async () => {
      const wallet = new WalletClient({ baseUrl: proxy.url, credentials: walletParty, trid, retry: FAST_RETRY });
      const { walletAccountId } = fresh();
      const start = tokenCalls();
      await listTen(wallet, walletAccountId);
      expect(tokenCalls() - start).toBe(1);

      offsetMs += (ACCESS_TOKEN_TTL + 1) * 1000;
      const before401 = proxy.exchanges.filter((e) => e.status === 401).length;
      const pages = await listTen(wallet, walletAccountId);

      expect(pages.every((p) => Array.isArray(p.data))).toBe(true);
      expect(tokenCalls() - start).toBe(2);
      expect(proxy.exchanges.filter((e) => e.status === 401).length).toBe(before401);
    });

    it('on token_expired from the TSP (device clock behind), refreshes once for ten concurrent calls and repeats them', async () => {
      // The device clock lags the TSP's: the SDK believes its token is fresh, the TSP says 401.
      const deviceClock = () => realNow() + offsetMs - skewMs;
      let skewMs = 0;
      const wallet = new WalletClient({ baseUrl: proxy.url, credentials: walletParty, trid, retry: FAST_RETRY, clock: deviceClock });
      const { walletAccountId } = fresh();
      const start = tokenCalls();
      const startExchanges = proxy.exchanges.length;
      await wallet.listCards(walletAccountId).firstPage();

      // Past expiry plus the TSP's 30 s clock tolerance, on the TSP's clock only.
      skewMs = (ACCESS_TOKEN_TTL + 31) * 1000;
      offsetMs += skewMs;
      const pages = await listTen(wallet, walletAccountId);

      expect(pages).toHaveLength(10);
      expect(tokenCalls() - start).toBe(2);
      const lists = proxy.exchanges.slice(startExchanges).filter((e) => e.path === '/v1/tokens');
      expect(lists.filter((e) => e.status === 401).map((e) => e.code)).toEqual(Array(10).fill('token_expired'));
      expect(lists.filter((e) => e.status === 200)).toHaveLength(11);
    });
  });
});
