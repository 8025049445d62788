import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createPushIssuer, createPushWallet, storeCard } from '../../services/tsp/test/push/push-fixtures';
import { startTestTsp, type TestTsp } from '../support/tsp-harness';
import { describeWithShellTools } from '../support/shell-tools';

const run = promisify(execFile);

/** The fenced `sh` blocks of a doc page, in order. */
function shBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
}

/*
 * docs/push.md is runnable: its `sh` blocks, as one shell session (`set -eu`), against a test
 * TSP with a registered bank, wallet and card. The bank's walk-through and the wallet's
 * redemption must do what the page says.
 */
describeWithShellTools('docs/push.md walk-through', () => {
  let tsp: TestTsp;
  beforeAll(async () => {
    tsp = await startTestTsp();
  });
  afterAll(async () => {
    await tsp.services.identity.close();
    await tsp.close();
  });

  it('runs the bank push and the wallet redemption as written', async () => {
    const bank = await createPushIssuer(tsp);
    const wallet = await createPushWallet(tsp);
    const cardRef = await storeCard(tsp, bank, 1);
    const blocks = shBlocks(readFileSync(path.join(__dirname, '..', '..', 'docs', 'push.md'), 'utf8'));
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const { stdout } = await run('bash', ['-c', `set -eu -o pipefail\n${blocks.join('\n')}`], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        TSP: tsp.url,
        ISSUER_CLIENT_ID: bank.client.clientId,
        ISSUER_CLIENT_SECRET: bank.client.clientSecret,
        WALLET_CLIENT_ID: wallet.client.clientId,
        WALLET_CLIENT_SECRET: wallet.client.clientSecret,
        TRID: wallet.trid,
        CARD_REF: cardRef,
      },
      timeout: 20_000,
    });
    expect(stdout).toContain(`"trid": "${wallet.trid}"`);
    expect(stdout).toMatch(/"deepLink": "opentspwallet:\/\/push\?pushReceipt=/);
    // The one-tap redemption, the single-use check, the direct push, and the list across banks.
    expect(stdout.match(/"assuranceMethod": "14"/g)).toHaveLength(2);
    expect(stdout).toMatch(/^409$/m);
    expect(stdout).toContain(`"issuer": "${bank.issuer.name}"`);
  });
});
