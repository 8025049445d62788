import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WalletClient } from '@opentsp/wallet-sdk';
import { bootstrapSandboxServices, startBackgroundWork } from '../../services/tsp/src/compose';
import type { StopFn } from '../../services/tsp/src/context';
import type { SandboxCredentials } from '../../services/tsp/src/domain/identity/sandbox-bootstrap';
import { startSandboxIssuer, type SandboxIssuerHost } from '../../services/tsp/src/sandbox-issuer';
import { findPans, registerTestPans } from '../support/leak-scan';
import { startTestTsp, type TestTsp } from '../support/tsp-harness';
import { browserAvailable, ensureConsoleBuilt, launchBrowser, pageTextAndDom, screenshot, type TestBrowser } from './support/browser';

/*
 * Issue 16: the console's "Sandbox phone" shows the step-up code the sandbox bank sent, to the
 * masked destination the cardholder chose, without the card number — in Chromium against a
 * sandbox TSP running the issuer simulator in process, as `pnpm start` does.
 */
jest.setTimeout(120_000);

const run = browserAvailable() ? describe : describe.skip;

run('console: the sandbox phone', () => {
  let tsp: TestTsp;
  let sim: SandboxIssuerHost;
  let stopWork: StopFn;
  let chromium: TestBrowser;
  let credentials: SandboxCredentials;
  let dataDir: string;

  beforeAll(async () => {
    ensureConsoleBuilt();
    dataDir = mkdtempSync(path.join(tmpdir(), 'opentsp-phone-')); // here, not when skipped
    tsp = await startTestTsp({ OPENTSP_DATA_DIR: dataDir });
    sim = await startSandboxIssuer(tsp.logger);
    ({ credentials } = await bootstrapSandboxServices(tsp.services, tsp.config, { print: () => undefined, listeningUrl: tsp.url, issuerHost: sim }));
    sim.verifyWith(tsp.url);
    registerTestPans(...Object.values(credentials.issuer.testCards));
    stopWork = startBackgroundWork(tsp.services);
    chromium = await launchBrowser(tsp.url);
  });
  afterAll(async () => {
    await chromium?.close();
    await stopWork?.();
    await sim?.stop();
    await tsp?.services.identity.close();
    await tsp?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the code the bank sent for a step-up, to the masked destination, and no card number', async () => {
    const page = await chromium.context.newPage();
    await page.goto('/console/phone');
    await page.getByRole('heading', { level: 1, name: 'Sandbox phone' }).waitFor();
    await page.getByText('No messages yet').waitFor();
    // The page keeps polling, yet it is rendered: the navigation shows it as the current page.
    await page.locator('#nav a[aria-current="page"]', { hasText: 'Sandbox phone' }).waitFor();

    const wallet = new WalletClient({ baseUrl: tsp.url, credentials: credentials.wallet, trid: credentials.wallet.trid });
    const card = { pan: credentials.issuer.testCards.stepUp, expMonth: 12, expYear: 2031, cvv2: '123' };
    const result = await wallet.provisionCard(card, { walletAccountId: 'wa_phone', device: { id: 'dev_phone', type: 'phone', os: 'android', score: 90 }, tokenLocation: '02', channel: 'nfc' });
    if (result.outcome !== 'verification_required') throw new Error(`expected step-up, got ${result.outcome}`);
    const sms = result.verification.methods.find((m) => m.type === 'sms');
    await result.verification.start(sms?.id as string);
    const [delivered] = sim.phone.messages();

    // The page polls: the message appears without a reload.
    await page.getByText(`To ${sms?.maskedDestination} (sms)`).waitFor();
    await page.getByText(delivered?.code as string, { exact: true }).waitFor();
    await screenshot(page, 'sandbox-phone');
    expect(findPans(await pageTextAndDom(page), Object.values(credentials.issuer.testCards))).toEqual([]);

    const token = await result.verification.confirm(delivered?.code as string);
    expect(token.status).toBe('ACTIVE');
  });
});
