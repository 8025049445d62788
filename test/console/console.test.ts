import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { IssuerClient } from '@opentsp/wallet-sdk';
import type { Page } from 'playwright-core';
import { bootstrapSandboxServices, startBackgroundWork } from '../../services/tsp/src/compose';
import type { StopFn } from '../../services/tsp/src/context';
import type { DemoCard, SandboxCredentials } from '../../services/tsp/src/domain/identity/sandbox-bootstrap';
import { createTestClient, tokenFor, bearer, type TestClient } from '../support/clients';
import { findPans, registerTestPans } from '../support/leak-scan';
import { startTestTsp, type TestTsp } from '../support/tsp-harness';
import { browserAvailable, ensureConsoleBuilt, launchBrowser, pageTextAndDom, screenshot, type TestBrowser } from './support/browser';

/*
 * The token console (issue #12) in Debian's Chromium against a real sandbox TSP and Postgres:
 * sign-in, search, suspend with a reason and a confirmation then the history entry, the
 * operator pages, the demo's one-tap flow end to end, phone width, and no card number in full
 * anywhere on a page.
 */
jest.setTimeout(120_000);

const run = browserAvailable() ? describe : describe.skip;

run('token console in Chromium', () => {
  let tsp: TestTsp;
  let dataDir: string;
  let stopWork: StopFn;
  let chromium: TestBrowser;
  let credentials: SandboxCredentials;
  let approveCard: DemoCard;
  let tokenRefs: string[];
  let brokenWallet: TestClient;
  /** Card numbers that must never appear on a page: the sandbox test cards, then token PANs seen on the wire. */
  const secretPans: string[] = [];
  let bins: string[];

  beforeAll(async () => {
    ensureConsoleBuilt();
    dataDir = mkdtempSync(path.join(tmpdir(), 'opentsp-console-'));
    // One delivery attempt and a quick worker: a failing webhook is dead at once, and the demo's
    // webhooks arrive within a second.
    tsp = await startTestTsp({ OPENTSP_DATA_DIR: dataDir, OPENTSP_WEBHOOK_MAX_ATTEMPTS: '1', OPENTSP_WEBHOOK_POLL_INTERVAL_MS: '200' });
    const sandbox = await bootstrapSandboxServices(tsp.services, tsp.config, { print: () => undefined, listeningUrl: tsp.url });
    credentials = sandbox.credentials;
    approveCard = sandbox.demoCards.find((c) => c.outcome === 'approve') as DemoCard;
    secretPans.push(...Object.values(credentials.issuer.testCards));
    registerTestPans(...secretPans);
    bins = [credentials.issuer.cardBinRange.prefix, credentials.issuer.tokenBinRange.prefix];
    stopWork = startBackgroundWork(tsp.services);

    // Two tokens of one card in one wallet account: what a customer-service agent looks up.
    const bank = new IssuerClient({ baseUrl: tsp.url, credentials: { clientId: credentials.issuer.clientId, clientSecret: credentials.issuer.clientSecret } });
    tokenRefs = [];
    for (const walletAccountId of ['wa_console_alice', 'wa_console_alice']) {
      const token = await bank.pushToWallet({ cardRef: approveCard.cardRef }, { trid: credentials.wallet.trid, walletAccountId });
      tokenRefs.push(token.tokenRef);
    }
    // A wallet whose webhook endpoint is down (nothing listens on port 9): its token.pushed dies.
    brokenWallet = await createTestClient(tsp, { role: 'wallet', name: 'Broken Wallet', webhookUrl: 'http://127.0.0.1:9/hooks', appUri: 'brokenwallet://push' });
    await bank.pushToWallet({ cardRef: approveCard.cardRef }, { trid: brokenWallet.client.trid as string, walletAccountId: 'wa_console_bob' });
    chromium = await launchBrowser(tsp.url);
  });

  afterAll(async () => {
    await chromium?.close();
    await stopWork?.();
    await tsp?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** A new tab: its own sessionStorage, so signed out. */
  async function newPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
    const page = await chromium.context.newPage();
    await page.setViewportSize(viewport);
    return page;
  }

  async function signIn(page: Page, who: { clientId: string; clientSecret: string }, landing: string): Promise<void> {
    await page.goto('/console/');
    await page.waitForURL('**/console/sign-in**');
    await page.getByLabel('Client id').fill(who.clientId);
    await page.getByLabel('Client secret').fill(who.clientSecret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: landing }).waitFor();
  }

  async function expectNoCardNumbers(page: Page): Promise<void> {
    expect(findPans(await pageTextAndDom(page), secretPans, bins)).toEqual([]);
  }

  /** The TSP's own view of the demo card's tokens (not the page's). */
  async function statusesOfCard(): Promise<Record<string, string>> {
    const bank = new IssuerClient({ baseUrl: tsp.url, credentials: { clientId: credentials.issuer.clientId, clientSecret: credentials.issuer.clientSecret } });
    return Object.fromEntries((await bank.listCardTokens(approveCard.cardRef).toArray()).map((t) => [t.tokenRef, t.status]));
  }

  function shortExpiry(card: DemoCard): string {
    return `${String(card.expiry.month).padStart(2, '0')}/${String(card.expiry.year % 100).padStart(2, '0')}`;
  }

  it('signs in with client credentials by keyboard, keeps only the access token, and signs out', async () => {
    const page = await newPage();
    await page.goto('/console/tokens');
    await page.waitForURL('**/console/sign-in?next=tokens');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Sign in');
    await page.keyboard.press('Tab');
    await page.keyboard.type(credentials.issuer.clientId);
    await page.keyboard.press('Tab');
    await page.keyboard.type('not-the-secret');
    await page.keyboard.press('Enter');
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/invalid_client|client/i);
    await page.getByLabel('Client secret').fill(credentials.issuer.clientSecret);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Token search' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/tokens');
    await screenshot(page, 'search-empty');

    const stored = await page.evaluate(() => ({ session: JSON.stringify(sessionStorage), local: localStorage.length, cookies: document.cookie }));
    expect(stored.session).not.toContain(credentials.issuer.clientSecret);
    expect(JSON.parse(JSON.parse(stored.session)['opentsp.console.session'])).toMatchObject({ accessToken: expect.any(String), scopes: expect.arrayContaining(['issuer:tokens']) });
    expect([stored.local, stored.cookies]).toEqual([0, '']);
    // Operator pages are not offered to an issuer.
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Clients' }).count()).resolves.toBe(0);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await expect(page.evaluate(() => sessionStorage.length)).resolves.toBe(0);
    await screenshot(page, 'sign-in');
    await page.close();
  });

  it('finds a cardholder’s tokens by last 4 + expiry and by token reference', async () => {
    const page = await newPage();
    await signIn(page, credentials.issuer, 'Token search');
    await page.getByLabel('Card last 4').fill(approveCard.panLast4);
    await page.getByLabel('Card expiry (MM/YY)').fill(shortExpiry(approveCard));
    // The card also has a token in Bob's account: the wallet account narrows it (filters AND).
    await page.getByLabel('Wallet account').fill('wa_console_alice');
    await page.getByRole('button', { name: 'Search' }).click();
    const results = page.getByRole('region', { name: /tokens? found/ });
    await results.waitFor();
    for (const ref of tokenRefs) await page.getByRole('link', { name: ref }).waitFor();
    await expect(results.locator('tbody tr').count()).resolves.toBe(2);
    await screenshot(page, 'search');

    // Only last 4 without expiry is refused before the call.
    await page.getByLabel('Card expiry (MM/YY)').fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/together/);

    await page.goto(`/console/tokens?tokenRef=${tokenRefs[1]}`);
    await page.getByRole('region', { name: '1 token found' }).waitFor();
    await expect(page.getByRole('link', { name: tokenRefs[1] as string }).count()).resolves.toBe(1);
    await expectNoCardNumbers(page);
    await page.close();
  });

  it('suspends one token with a reason after a confirmation, and the history shows it', async () => {
    const page = await newPage();
    await signIn(page, credentials.issuer, 'Token search');
    const tokenRef = tokenRefs[0] as string;
    await page.goto(`/console/tokens?tokenRef=${tokenRef}`);
    await page.getByRole('link', { name: tokenRef }).click();
    await page.getByRole('heading', { level: 1, name: `Token ${tokenRef}` }).waitFor();
    await page.getByRole('table', { name: /events?, oldest first/ }).waitFor();

    await page.getByLabel('Apply to').selectOption('token');
    await page.getByLabel('Reason').selectOption('lost');
    await page.getByLabel('Note (optional, no card data)').fill('Caller reported the phone lost');
    await page.getByRole('button', { name: 'Suspend' }).click();
    const dialog = page.getByRole('dialog', { name: 'Suspend token' });
    await dialog.waitFor();
    await expect(dialog.textContent()).resolves.toContain('Reason: Card or device lost.');
    // Cancel first: nothing changes.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await expect(statusesOfCard()).resolves.toMatchObject({ [tokenRef]: 'ACTIVE' });
    await page.getByRole('button', { name: 'Suspend' }).click();
    await page.getByRole('dialog', { name: 'Suspend token' }).getByRole('button', { name: 'Suspend' }).click();

    const details = page.locator('dl.details');
    await details.getByText('SUSPENDED').waitFor();
    await expect(details.textContent()).resolves.toContain('(lost)');
    const history = page.getByRole('table', { name: /events?, oldest first/ });
    const suspendedRow = history.locator('tbody tr', { hasText: /token\.suspend/ });
    await suspendedRow.first().waitFor();
    await expect(suspendedRow.first().textContent()).resolves.toContain('lost');
    await expect(page.getByRole('button', { name: 'Resume' }).count()).resolves.toBe(1);

    // The TSP agrees, and the card's other token was left alone.
    await expect(statusesOfCard()).resolves.toMatchObject({ [tokenRef]: 'SUSPENDED', [tokenRefs[1] as string]: 'ACTIVE' });

    await expectNoCardNumbers(page);
    await screenshot(page, 'token', 'console-token');
    await page.close();
  });

  it('shows operators clients, issuers with token BIN usage, keys, risk rules and dead webhooks', async () => {
    const page = await newPage();
    await signIn(page, credentials.admin, 'Clients');
    await page.getByRole('cell', { name: 'Sandbox Wallet' }).waitFor();
    await screenshot(page, 'clients');

    await page.getByRole('link', { name: 'Issuers' }).click();
    const usage = page.getByRole('region', { name: 'Sandbox Bank' });
    await usage.waitFor();
    const row = usage.locator('tbody tr', { hasText: credentials.issuer.tokenBinRange.prefix });
    // Three pushed tokens, one suspended: each holds a number and none is deleted.
    await expect(row.locator('td[data-label="Allocated"]').textContent()).resolves.toBe('3');
    await expect(row.locator('td[data-label="Live tokens"]').textContent()).resolves.toBe('3');
    await screenshot(page, 'issuers');

    await page.getByRole('link', { name: 'Keys' }).click();
    await page.getByRole('table', { name: 'KEK versions, newest first' }).getByText('active').waitFor();
    await screenshot(page, 'keys');

    await page.getByRole('link', { name: 'Risk rules' }).click();
    await page.getByRole('heading', { level: 1, name: 'Risk rules' }).waitFor();
    const rules = page.getByRole('region', { name: /^\d+ rules$/ });
    await rules.waitFor();
    const firstRule = rules.locator('tbody tr').first().getByRole('button');
    const ruleName = (await firstRule.textContent()) as string;
    await firstRule.click();
    await page.getByRole('heading', { level: 2, name: `Versions of “${ruleName}”` }).waitFor();
    await expect(page.getByRole('region', { name: /^\d+ versions$/ }).locator('tbody tr').count()).resolves.toBeGreaterThanOrEqual(1);
    await screenshot(page, 'risk');

    await page.getByRole('link', { name: 'Dead webhooks' }).click();
    await page.getByRole('heading', { level: 1, name: 'Dead webhooks' }).waitFor();
    const dead = page.getByRole('region', { name: /dead deliveries/ }).locator('tbody tr', { hasText: brokenWallet.clientId }).filter({ hasText: 'token.pushed' });
    await dead.waitFor();
    await screenshot(page, 'webhooks');
    const adminToken = await tokenFor(tsp, credentials.admin);
    const delivery = async (): Promise<{ status: string; attempts: number; lastAttemptAt?: string } | undefined> => {
      const res = await fetch(`${tsp.url}/v1/admin/webhooks/deliveries?clientId=${brokenWallet.clientId}&eventType=token.pushed`, { headers: bearer(adminToken) });
      return ((await res.json()) as { data: { status: string; attempts: number; lastAttemptAt?: string }[] }).data[0];
    };
    const before = await delivery();
    expect(before).toMatchObject({ status: 'dead', attempts: 1 });
    await dead.getByRole('button', { name: 'Redeliver' }).click();
    await page.getByRole('dialog', { name: 'Redeliver webhook' }).getByRole('button', { name: 'Redeliver' }).click();
    await page.locator('#announcer', { hasText: 'Delivery queued again' }).waitFor();
    // The TSP really tried again: a new attempt, which fails again (nothing listens there).
    const tried = async (): Promise<boolean> => {
      const now = await delivery();
      return now?.status === 'dead' && now.lastAttemptAt !== before?.lastAttemptAt;
    };
    for (const until = Date.now() + 15_000; !(await tried()) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
    await expect(tried()).resolves.toBe(true);
    await expect(page.locator('.error').count()).resolves.toBe(0);
    await page.close();
  });

  it('runs the demo: bank push → one-tap bind → payment credentials → detokenize, each with its calls and webhooks', async () => {
    const page = await newPage();
    const tokenPans: string[] = [];
    page.on('response', async (response) => {
      if (!response.url().endsWith('/cryptograms')) return;
      const body = (await response.json().catch(() => ({}))) as { tokenPan?: string };
      if (body.tokenPan) tokenPans.push(body.tokenPan);
    });
    await page.goto('/console/demo');
    await page.getByRole('heading', { level: 1, name: 'One-tap demo' }).waitFor();

    const bank = page.getByRole('region', { name: 'Bank app' });
    await bank.getByLabel('Sandbox card').selectOption(approveCard.cardRef);
    await bank.getByRole('button', { name: 'Push card to wallet' }).click();
    await bank.locator('.outcome.ok').waitFor();
    await expect(bank.locator('details.exchange summary').first().textContent()).resolves.toBe('POST /v1/push-receipts → 201');
    await expect(bank.locator('pre.json').first().textContent()).resolves.toContain(approveCard.cardRef);

    const wallet = page.getByRole('region', { name: 'Wallet app' });
    const add = wallet.getByRole('button', { name: new RegExp(`^Add Sandbox Bank •••• ${approveCard.panLast4}$`) });
    await add.waitFor();
    await add.click();
    await wallet.getByLabel('Card in wallet').waitFor();
    const bindStep = wallet.locator('li.step').nth(1);
    await expect(bindStep.locator('.outcome.ok').textContent()).resolves.toMatch(/is ACTIVE .*assurance 14/);
    await expect(bindStep.locator('details.exchange summary').first().textContent()).resolves.toBe('POST /v1/tokens → 201');
    // The bank's token.created webhook reaches the sandbox sink, signed, and shows under the bind step.
    const tokenRef = ((await bindStep.locator('.outcome.ok').textContent()) ?? '').match(/tok_\w+/)?.[0] as string;
    const webhook = bindStep.locator('li.webhook[data-event-type="token.created"]', { hasText: tokenRef }).first();
    await webhook.waitFor({ timeout: 20_000 });
    await expect(webhook.textContent()).resolves.toContain('signature valid');

    const checkout = page.getByRole('region', { name: 'Checkout' });
    await checkout.getByRole('button', { name: /^Pay with •••• \d{4}$/ }).click();
    await checkout.locator('li.step').nth(1).locator('.outcome.ok').waitFor();
    const summaries = await checkout.locator('details.exchange summary').allTextContents();
    expect(summaries).toEqual([expect.stringMatching(/^POST \/v1\/tokens\/tok_\w+\/cryptograms → 201$/), 'POST /v1/detokenize → 200']);
    await expect(checkout.locator('li.step').nth(1).locator('.outcome').textContent()).resolves.toMatch(/^Approved/);

    // The token PAN went over the wire; on the page it is masked like the card's.
    expect(tokenPans).toHaveLength(1);
    secretPans.push(...tokenPans);
    const text = await pageTextAndDom(page);
    expect(text).toContain(`•••• ${(tokenPans[0] as string).slice(-4)}`);
    await expectNoCardNumbers(page);
    await expect(page.locator('.outcome.failed').count()).resolves.toBe(0);
    await screenshot(page, 'demo', 'console-demo');
    await page.close();
  });

  it('works at phone width (375 px) without sideways scrolling', async () => {
    const page = await newPage({ width: 375, height: 812 });
    await signIn(page, credentials.issuer, 'Token search');
    await page.goto(`/console/tokens/${tokenRefs[0]}`);
    await page.getByRole('table', { name: /events?, oldest first/ }).waitFor();
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    expect(widths[0]).toBeLessThanOrEqual(widths[1] as number);
    await expectNoCardNumbers(page);
    await screenshot(page, 'token-phone');

    await page.goto('/console/demo');
    await page.getByRole('region', { name: 'Bank app' }).getByRole('button', { name: 'Push card to wallet' }).click();
    await page.getByRole('region', { name: 'Wallet app' }).getByRole('button', { name: /^Add / }).waitFor();
    const demoWidths = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
    expect(demoWidths[0]).toBeLessThanOrEqual(demoWidths[1] as number);
    await screenshot(page, 'demo-phone');
    await page.close();
  });
});
