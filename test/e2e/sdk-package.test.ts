import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair } from 'jose';
import { createTestClient } from '../support/clients';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { startProvisioningWorld, testPan, type ProvisioningWorld } from '../support/issuer-sim-harness';
import { registerTestPans } from '../support/leak-scan';

/*
 * The SDK as a wallet developer gets it: `pnpm pack` of @opentsp/wallet-sdk and the
 * @opentsp/api-types it depends on, `npm install` of the tarballs into a fresh project outside
 * the workspace, then the quickstart of docs/sdk.md run there under ESM and under CommonJS
 * against a sandbox TSP, and a TypeScript file using the SDK checked with `tsc --strict` under
 * node16-style resolution for both module formats. Nothing of the workspace leaks in: the
 * project sees only what the tarballs contain (npm fetches jose, typescript and @types/node).
 */

const ROOT = path.join(__dirname, '..', '..');
const run = promisify(execFile);
const MINUTE = 60_000;

/** The quickstart (docs/sdk.md: Configure, Provision a card, List, Pay, Errors), as an app writes it. */
const QUICKSTART = `
const config = JSON.parse(process.env.QUICKSTART_CONFIG);
const { tspUrl, walletClientId, appKeyJwk, trid, walletAccountId, device, cards, issuerSimUrl } = config;
const askUserForCode = async (tokenRef) =>
  (await (await fetch(issuerSimUrl + '/otp-deliveries/latest?tokenRef=' + encodeURIComponent(tokenRef))).json()).otp;

async function main() {
  const wallet = new WalletClient({
    baseUrl: tspUrl,
    credentials: { clientId: walletClientId, privateKey: appKeyJwk, keyId: 'wallet-key-1' },
    trid,
  });
  const shown = [];
  const lastResponses = [];
  for (const card of cards) {
    const result = await wallet.provisionCard(card, { walletAccountId, device, tokenLocation: '02', channel: 'nfc' });
    lastResponses.push(result.lastResponse);
    switch (result.outcome) {
      case 'active':
        shown.push(result.token);
        break;
      case 'verification_required': {
        const { verification } = result;
        await verification.start(verification.methods[0].id);
        shown.push(await verification.confirm(await askUserForCode(result.token.tokenRef)));
        break;
      }
      default:
        throw new Error('unexpected outcome ' + result.outcome);
    }
  }
  const listed = [];
  for await (const token of wallet.listCards(walletAccountId)) listed.push(token.tokenRef);
  const creds = await wallet.getPaymentCredentials(shown[0].tokenRef, {
    amount: 12800, currency: 'CNY', merchantId: '898310048160001', channel: 'nfc',
  });
  const typo = { ...cards[0], pan: cards[0].pan.slice(0, -1) + ((Number(cards[0].pan.slice(-1)) + 1) % 10) };
  let typoCode;
  try { await wallet.provisionCard(typo, { walletAccountId, device, tokenLocation: '02', channel: 'nfc' }); }
  catch (err) { if (!isOpenTspError(err)) throw err; typoCode = err.code; }
  console.log(JSON.stringify({
    sdkVersion: SDK_VERSION,
    shown: shown.map((t) => ({ tokenRef: t.tokenRef, status: t.status, assuranceMethod: t.assuranceMethod })),
    listed,
    lastResponses,
    creds: { tokenRef: creds.tokenRef, hasCryptogram: typeof creds.cryptogram === 'string', statusCode: creds.lastResponse.statusCode },
    typoCode,
  }));
}
main().catch((err) => { console.error(err); process.exit(1); });
`;

/** Compiles only if the SDK's published types are real (not `any`) and strict-clean. */
const TYPED_APP = (importLine: string) => `${importLine}

export async function addCard(wallet: WalletClient, card: CardPlaintext): Promise<string> {
  const result = await wallet.provisionCard(card, {
    walletAccountId: 'wa_8842a1c7', device: { id: 'dev_5f2c9a81', type: 'phone', os: 'android' }, tokenLocation: '02', channel: 'nfc',
  });
  const response: LastResponse = result.lastResponse;
  if (response.idempotentReplayed) console.log('replayed', response.requestId);
  // @ts-expect-error 'ACTIVE' is a token status, not an outcome
  if (result.outcome === 'ACTIVE') return '';
  return result.outcome === 'verification_required' ? result.verification.methods[0]?.id ?? '' : result.token.tokenRef;
}

export function explain(err: unknown): string {
  if (!isOpenTspError(err)) return 'unknown';
  switch (err.code) {
    case 'provisioning_declined': return err.reasonCodes.join(',');
    // @ts-expect-error not a code of the contract
    case 'no_such_code': return '';
    default: return err.code;
  }
}
`;

describe('the packed SDK in a project outside the workspace', () => {
  let dir: string;
  let proxy: FaultProxy;
  let w: ProvisioningWorld;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'opentsp-sdk-package-'));
    // The client assertion's `aud` is the token endpoint the app calls (RFC 7523 §3): the
    // TSP's public URL is the proxy's, known before the TSP starts.
    proxy = await startFaultProxy();
    w = await startProvisioningWorld({ env: { OPENTSP_PUBLIC_URL: proxy.url } });
    proxy.target = w.tsp.url;
  });
  afterAll(async () => {
    await w?.close();
    await proxy?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('packs, installs with npm, runs the quickstart under ESM and CommonJS, and type-checks with tsc --strict', async () => {
    // pnpm pack runs each package's prepack build and writes the publishConfig manifest.
    const tarballs: string[] = [];
    for (const pkg of ['api-types', 'wallet-sdk']) {
      const { stdout } = await run('pnpm', ['pack', '--pack-destination', dir], { cwd: path.join(ROOT, 'packages', pkg), timeout: 2 * MINUTE });
      tarballs.push((stdout.trim().split('\n').pop() as string).trim());
    }
    expect(tarballs.map((t) => path.basename(t))).toEqual(['opentsp-api-types-0.1.0.tgz', 'opentsp-wallet-sdk-0.1.0.tgz']);

    const app = path.join(dir, 'app');
    const versionOf = (name: string) => (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
    mkdirSync(app);
    await run('npm', ['init', '-y'], { cwd: app, timeout: MINUTE });
    await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline', ...tarballs, `typescript@${versionOf('typescript')}`, `@types/node@${versionOf('@types/node')}`],
      { cwd: app, timeout: 4 * MINUTE },
    );
    const installed = JSON.parse(readFileSync(path.join(app, 'node_modules', '@opentsp', 'wallet-sdk', 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(installed).toMatchObject({ version: '0.1.0', license: 'Apache-2.0', dependencies: { '@opentsp/api-types': '0.1.0' } });

    // The quickstart's inputs: a wallet registered with the app's ES256 key, two cards of the
    // sandbox bank (one approved at once, one with the OTP step-up).
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const appKeyJwk = { ...(await exportJWK(privateKey)), kid: 'wallet-key-1', alg: 'ES256' };
    const pub = await exportJWK(publicKey);
    const wallet = await createTestClient(w.tsp, {
      role: 'wallet',
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: pub.x as string, y: pub.y as string, kid: 'wallet-key-1', alg: 'ES256', use: 'sig' }] },
    });
    const cards = ['234', '111'].map((last3) => ({ pan: testPan(w.cardPrefix, last3), expMonth: 12, expYear: new Date().getUTCFullYear() + 3, cvv2: '123', cardholderName: 'TEST CARDHOLDER' }));
    registerTestPans(...cards.map((c) => c.pan));

    writeFileSync(path.join(app, 'quickstart.mjs'), `import { WalletClient, isOpenTspError, SDK_VERSION } from '@opentsp/wallet-sdk';\n${QUICKSTART}`);
    writeFileSync(path.join(app, 'quickstart.cjs'), `const { WalletClient, isOpenTspError, SDK_VERSION } = require('@opentsp/wallet-sdk');\n${QUICKSTART}`);
    for (const script of ['quickstart.mjs', 'quickstart.cjs']) {
      const walletAccountId = `wa_pkg_${script.replace('.', '_')}_${Date.now()}`;
      const config = { tspUrl: proxy.url, walletClientId: wallet.clientId, appKeyJwk, trid: wallet.client.trid, walletAccountId, device: { id: `dev_${walletAccountId}`, type: 'phone', os: 'android' }, cards, issuerSimUrl: w.sim.url };
      const { stdout } = await run(process.execPath, [script], { cwd: app, timeout: 2 * MINUTE, env: { ...process.env, QUICKSTART_CONFIG: JSON.stringify(config) } });
      for (const card of cards) expect(stdout).not.toContain(card.pan);
      const out = JSON.parse(stdout) as {
        sdkVersion: string;
        shown: { tokenRef: string; status: string; assuranceMethod: string }[];
        listed: string[];
        lastResponses: { statusCode: number; requestId: string; idempotencyKey: string; idempotentReplayed: boolean }[];
        creds: { tokenRef: string; hasCryptogram: boolean; statusCode: number };
        typoCode: string;
      };
      expect(out.sdkVersion).toBe('0.1.0');
      expect(out.shown.map((t) => [t.status, t.assuranceMethod])).toEqual([['ACTIVE', '13'], ['ACTIVE', '11']]);
      expect(out.listed.sort()).toEqual(out.shown.map((t) => t.tokenRef).sort());
      for (const response of out.lastResponses) {
        expect(response).toMatchObject({ idempotentReplayed: false, requestId: expect.any(String), idempotencyKey: expect.stringMatching(/^[0-9a-f-]{36}$/) });
        expect([200, 201]).toContain(response.statusCode);
      }
      expect(out.creds).toMatchObject({ tokenRef: out.shown[0]?.tokenRef, hasCryptogram: true });
      expect(out.typoCode).toBe('card_invalid_luhn');
    }

    // The TSP saw the packed SDK name itself.
    const sdkCalls = proxy.exchanges.filter((e) => e.client === 'opentsp-wallet-sdk/0.1.0');
    expect(sdkCalls.length).toBe(proxy.exchanges.length);
    expect(sdkCalls[0]?.userAgent).toMatch(/^opentsp-wallet-sdk\/0\.1\.0 node\/\d+\.\d+\.\d+$/);

    // Types, strict, as an app under node16-style resolution sees them in each module format.
    writeFileSync(path.join(app, 'app.mts'), TYPED_APP(`import { isOpenTspError, type CardPlaintext, type LastResponse, WalletClient } from '@opentsp/wallet-sdk';`));
    writeFileSync(path.join(app, 'app.cts'), TYPED_APP(`import { isOpenTspError, type CardPlaintext, type LastResponse, WalletClient } from '@opentsp/wallet-sdk';`));
    const tsc = path.join(app, 'node_modules', 'typescript', 'bin', 'tsc');
    const flags = ['--strict', '--noEmit', '--skipLibCheck', 'false', '--target', 'es2022', '--types', 'node'];
    await expect(run(process.execPath, [tsc, ...flags, '--module', 'nodenext', 'app.mts', 'app.cts'], { cwd: app, timeout: 2 * MINUTE })).resolves.toBeDefined();
    await expect(run(process.execPath, [tsc, ...flags, '--module', 'preserve', '--moduleResolution', 'bundler', 'app.mts'], { cwd: app, timeout: 2 * MINUTE })).resolves.toBeDefined();
  }, 10 * MINUTE);
});
