import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TSP_DIR } from '../support/cli';
import { startProvisioningWorld, testPan, type ProvisioningWorld } from '../support/issuer-sim-harness';
import { describeWithShellTools } from '../support/shell-tools';

/*
 * docs/api.md is executable: its fenced `sh` blocks run in order, in one bash, against a test
 * TSP and the issuer simulator, with the environment variables the page declares.
 */

const DOC = path.resolve(__dirname, '..', '..', 'docs', 'api.md');
// The compiled CLI, built from the current sources by the test run's global setup (test/support/tsp-build.ts).
const CLI = `${process.execPath} ${path.join(TSP_DIR, 'dist', 'main.js')}`;

function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

describeWithShellTools('docs/api.md walk-through', () => {
  let w: ProvisioningWorld;
  beforeAll(async () => {
    w = await startProvisioningWorld();
  });
  afterAll(async () => {
    await w?.close();
  });

  it('runs every sh block: provisioning with step-up, OTP, list, suspend, resume, delete', async () => {
    const blocks = shellBlocks(readFileSync(DOC, 'utf8'));
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    const script = ['set -euo pipefail', ...blocks].join('\n');
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      TSP_URL: w.tsp.url,
      ISSUER_SIM_URL: w.sim.url,
      WALLET_CLIENT_ID: w.wallet.clientId,
      WALLET_CLIENT_SECRET: w.wallet.clientSecret,
      CARD_PAN: testPan(w.cardPrefix, '111'),
      CARD_EXP: `12/${new Date().getUTCFullYear() + 2}`,
      OPENTSP: CLI,
    };
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile('bash', ['-c', script], { cwd: TSP_DIR, env, timeout: 150_000 }, (err, out, errOut) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: out, stderr: errOut }),
      );
    });
    if (code !== 0) throw new Error(`walk-through failed (${code}):\n${stderr}\n${stdout}`);
    expect(stdout).toContain('"status": "INACTIVE"');
    expect(stdout).toContain('"assuranceMethod": "11"');
    expect(stdout).toMatch(/SUSPENDED\nACTIVE/);
    expect(stdout).not.toContain(env.CARD_PAN);
    // The walk-through starts the CLI and makes a dozen calls: slow on a busy 2-core CI.
  }, 180_000);
});
