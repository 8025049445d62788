import { mkdtempSync, rmSync, statSync, unlinkSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { isLuhnValid } from '@opentsp/card';
import { bootstrapSandbox, registerDemoCards, SANDBOX_ISSUER_CARD_KEY, type SandboxCredentials } from '../../src/domain/identity/sandbox-bootstrap';
import { scrubCardNumbers } from '../../src/observability/card-data-scrubber';
import { tokenFor } from '../../../../test/support/clients';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';

describe('sandbox bootstrap', () => {
  let tsp: TestTsp;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'opentsp-sandbox-'));
  const file = path.join(dataDir, 'sandbox.json');
  let printed = '';
  let first: SandboxCredentials;
  const run = () => bootstrapSandbox(tsp.services.identity, loadConfig({ OPENTSP_MODE: 'sandbox', OPENTSP_DATA_DIR: dataDir }, { databaseUrl: tsp.db.url }), (text) => (printed = text));

  beforeAll(async () => {
    tsp = await startTestTsp();
    first = await run();
  });
  afterAll(async () => {
    await tsp.services.identity.close();
    await tsp.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates an issuer, a wallet, an acquirer and an admin, and writes them to sandbox.json (mode 0600)', async () => {
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(first);
    expect(first.wallet.trid).toMatch(/^401[0-9]{8}$/);
    expect(first.issuer.tokenBinRange).toEqual({ prefix: '628812', tokenLength: 16 });
    expect(first.acquirer.responseEncryptionKey).toMatchObject({ kty: 'oct', alg: 'A256GCMKW' });
    for (const party of [first.issuer, first.wallet, first.acquirer, first.admin]) {
      await expect(tokenFor(tsp, party)).resolves.toEqual(expect.any(String));
    }
  });

  it('gives Luhn-valid test cards in the sandbox card BIN that steer the issuer simulator', () => {
    const { approve, stepUp, decline } = first.issuer.testCards;
    for (const pan of [approve, stepUp, decline]) {
      expect(pan).toHaveLength(16);
      expect(pan.startsWith(first.issuer.cardBinRange.prefix)).toBe(true);
      expect(isLuhnValid(pan)).toBe(true);
    }
    expect(stepUp.slice(-4)).toMatch(/^111/);
    expect(decline.slice(-4)).toMatch(/^000/);
    expect(approve.slice(-4)).not.toMatch(/^(111|000)/);
    expect(tsp.services.identity.registry.findIssuerForPan(approve)?.issuerId).toBe(first.issuer.issuerId);
  });

  it('lists each test card with the expiry and CVV2 the issuer simulator checks, and registers the simulator key as the Sandbox Bank enc key', () => {
    const { testCards, testCardDetails } = first.issuer;
    expect(testCardDetails).toEqual({
      approve: { pan: testCards.approve, expMonth: 12, expYear: 2031, cvv2: '123' },
      stepUp: { pan: testCards.stepUp, expMonth: 12, expYear: 2031, cvv2: '123' },
      decline: { pan: testCards.decline, expMonth: 12, expYear: 2031, cvv2: '123' },
    });
    const issuer = tsp.services.identity.registry.findIssuerForPan(testCards.approve);
    expect(issuer?.jwks?.keys).toEqual([SANDBOX_ISSUER_CARD_KEY]);
  });

  it('stores the demo cards with the expiry the issuer simulator holds, realigning one an older sandbox stored', async () => {
    const services = tsp.services;
    await services.uow.transaction((tx) => services.vault.cards.storeCard(tx, { issuerId: first.issuer.issuerId, pan: first.issuer.testCards.stepUp, expMonth: 6, expYear: 2030 }));
    const cards = await registerDemoCards(services, first);
    expect(cards.map((c) => c.expiry)).toEqual([{ month: 12, year: 2031 }, { month: 12, year: 2031 }, { month: 12, year: 2031 }]);
    expect((await registerDemoCards(services, first)).map((c) => c.cardRef)).toEqual(cards.map((c) => c.cardRef));
  });

  it('prints client ids, secrets, the TRID, the token BIN range and a curl command, but no card number', () => {
    for (const value of [first.wallet.clientId, first.wallet.clientSecret, first.wallet.trid, first.admin.clientSecret, '628812']) {
      expect(printed).toContain(value);
    }
    expect(printed).toMatch(/curl -s -u '[^']+' -d grant_type=client_credentials http\S+\/oauth2\/token/);
    expect(scrubCardNumbers(printed)).toBe(printed);
    for (const pan of Object.values(first.issuer.testCards)) expect(printed).not.toContain(pan);
  });

  it('is idempotent across restarts: same clients and secrets', async () => {
    const second = await run();
    expect(second).toEqual(first);
    const wallets = await tsp.services.identity.clients.list({ role: 'wallet' });
    expect(wallets.data.filter((c) => c.name === 'Sandbox Wallet')).toHaveLength(1);
  });

  it('rotates the secrets when sandbox.json is gone but the clients exist', async () => {
    unlinkSync(file);
    const third = await run();
    expect(third.wallet.clientId).toBe(first.wallet.clientId);
    expect(third.wallet.clientSecret).not.toBe(first.wallet.clientSecret);
    await expect(tokenFor(tsp, first.wallet)).rejects.toThrow(/401/);
    await expect(tokenFor(tsp, third.wallet)).resolves.toEqual(expect.any(String));
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
