import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import express from 'express';
import { exportJWK, generateKeyPair } from 'jose';
import ts from 'typescript';
import { IssuerClient, type Token, type WebhookEvent } from '@opentsp/wallet-sdk';
import { createTestClient, createTestIssuer, type TestClient } from '../support/clients';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { startProvisioningWorld, testPan, type ProvisioningWorld } from '../support/issuer-sim-harness';
import { registerTestPans } from '../support/leak-scan';

/*
 * docs/sdk.md is runnable: each fenced `ts` snippet is transpiled as written (its imports
 * hoisted, its body wrapped in an async function given the variables the page documents) and
 * run in page order against a real TSP, issuer-sim and Postgres. Names a snippet declares at
 * top level (`wallet`, `creds`) are handed to the later ones, as if the page were one program.
 */

const DOC = path.join(__dirname, '..', '..', 'docs', 'sdk.md');
type Scope = Record<string, unknown>;

interface Snippet {
  /** `## heading` above it, with ` (2)` for a second snippet under the same heading. */
  id: string;
  source: string;
}

function snippetsOf(markdown: string): Snippet[] {
  const out: Snippet[] = [];
  let heading = '';
  const seen = new Map<string, number>();
  for (const m of markdown.matchAll(/^## (.+)$|^```ts\n([\s\S]*?)^```$/gm)) {
    if (m[1]) {
      heading = m[1].trim();
      continue;
    }
    const n = (seen.get(heading) ?? 0) + 1;
    seen.set(heading, n);
    out.push({ id: n === 1 ? heading : `${heading} (${n})`, source: m[2] as string });
  }
  return out;
}

/** Top-level `const x` / `const { a, b }` names of a snippet. */
function declaredNames(body: string): string[] {
  const names: string[] = [];
  for (const m of body.matchAll(/^(?:const|let) (?:(\w+)|\{([^}]+)\})/gm)) {
    if (m[1]) names.push(m[1]);
    else names.push(...(m[2] as string).split(',').map((n) => (n.split(':').pop() as string).trim()).filter(Boolean));
  }
  return names;
}

/** Transpiles a snippet to a CommonJS module whose default export runs it with `scope`. */
function compile(snippet: Snippet, scope: Scope): (scope: Scope) => Promise<Scope | undefined> {
  const lines = snippet.source.split('\n');
  const imports = lines.filter((l) => l.startsWith('import '));
  const body = lines.filter((l) => !l.startsWith('import ')).join('\n');
  const free = Object.keys(scope).filter((name) => new RegExp(`\\b${name}\\b`).test(body));
  const declared = declaredNames(body);
  const source = [
    ...imports,
    `export default async function run(__scope: any) {`,
    `  const { ${free.join(', ')} } = __scope;`,
    `  {`,
    body,
    `  return { ${declared.join(', ')} };`,
    `  }`,
    `}`,
  ].join('\n');
  const { outputText, diagnostics } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    reportDiagnostics: true,
    fileName: `${snippet.id}.ts`,
  });
  if (diagnostics?.length) throw new Error(`${snippet.id}: ${ts.flattenDiagnosticMessageText(diagnostics[0]?.messageText ?? '', '\n')}`);
  const module = { exports: {} as { default?: (scope: Scope) => Promise<Scope | undefined> } };
  new Function('require', 'module', 'exports', outputText)(require, module, module.exports);
  return module.exports.default as (scope: Scope) => Promise<Scope | undefined>;
}

describe('docs/sdk.md snippets, run against a real TSP', () => {
  const snippets = snippetsOf(readFileSync(DOC, 'utf8'));
  const ran = new Set<string>();
  let w: ProvisioningWorld;
  let proxy: FaultProxy;
  let webhookServer: Server;
  let webhookApp: express.Express;
  let walletParty: TestClient;
  let secondBank: IssuerClient;
  let secondPrefix: string;
  let bank: IssuerClient;
  let appKeyJwk: Record<string, unknown>;
  let scope: Scope;
  const walletAccountId = `wa_docs_${Date.now()}`;
  const device = { id: `dev_docs_${Date.now()}`, type: 'phone', os: 'android' };

  const calls: Record<string, unknown[][]> = {};
  const recorder = (name: string, answer?: (...args: unknown[]) => unknown) => (...args: unknown[]) => {
    (calls[name] ??= []).push(args);
    return answer?.(...args);
  };
  const cardOf = (prefix: string, last3: string) => {
    const pan = testPan(prefix, last3);
    registerTestPans(pan);
    return { pan, expMonth: 12, expYear: new Date().getUTCFullYear() + 3, cvv2: '123', cardholderName: 'TEST CARDHOLDER' };
  };

  /** Runs one snippet with the page's variables, `extra` on top; keeps what it declares. */
  async function run(id: string, extra: Scope = {}): Promise<Scope> {
    const snippet = snippets.find((s) => s.id === id);
    if (!snippet) throw new Error(`docs/sdk.md has no ts snippet under "${id}"`);
    ran.add(id);
    const all = { ...scope, ...extra };
    const declared = (await compile(snippet, all)(all)) ?? {};
    scope = { ...scope, ...declared };
    return declared;
  }

  beforeAll(async () => {
    // The TSP's public URL is the proxy's, as behind any reverse proxy: the client assertion's
    // `aud` (RFC 7523 §3) is the token endpoint the app calls.
    proxy = await startFaultProxy();
    w = await startProvisioningWorld({ env: { OPENTSP_PUBLIC_URL: proxy.url, OPENTSP_WEBHOOK_POLL_INTERVAL_MS: '100' } });
    proxy.target = w.tsp.url;
    webhookApp = express();
    webhookServer = await new Promise<Server>((resolve) => {
      const s = webhookApp.listen(0, '127.0.0.1', () => resolve(s));
    });
    const address = webhookServer.address();
    const port = typeof address === 'object' && address ? address.port : 0;

    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    appKeyJwk = { ...(await exportJWK(privateKey)), kid: 'wallet-key-1', alg: 'ES256' };
    const publicJwk = await exportJWK(publicKey);
    walletParty = await createTestClient(w.tsp, {
      role: 'wallet',
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: publicJwk.x as string, y: publicJwk.y as string, kid: 'wallet-key-1', alg: 'ES256', use: 'sig' }] },
      webhookUrl: `http://127.0.0.1:${port}/opentsp/webhooks`,
      appUri: 'opentspwallet://push',
    });
    const second = await createTestIssuer(w.tsp, { name: 'Second Docs Bank' });
    secondPrefix = second.cardBinRanges[0]?.prefix as string;
    secondBank = new IssuerClient({ baseUrl: w.tsp.url, credentials: await createTestClient(w.tsp, { role: 'issuer', issuerId: second.issuerId }) });
    bank = new IssuerClient({ baseUrl: w.tsp.url, credentials: w.issuerClient });
    const acquirer = await createTestClient(w.tsp, { role: 'acquirer', merchantIds: ['898310048160001'], responseEncryption: { alg: 'A256GCMKW' } });

    scope = {
      tspUrl: proxy.url,
      walletClientId: walletParty.clientId,
      trid: walletParty.client.trid,
      appKeyJwk,
      walletAccountId,
      device,
      app: webhookApp,
      acquirerClientId: acquirer.clientId,
      acquirerClientSecret: acquirer.clientSecret,
      responseEncryptionKey: acquirer.responseEncryptionKey,
      showCard: recorder('showCard'),
      // The cardholder reads the code on their phone: issuer-sim's inbox stands in for it (the
      // newest delivery is for the token being verified).
      askUserForCode: recorder('askUserForCode', async () => {
        const newest = [...w.sim.state.otpInbox.values()].at(-1);
        const res = await fetch(`${w.sim.url}/otp-deliveries/latest?tokenRef=${encodeURIComponent(newest?.tokenRef ?? '')}`);
        return ((await res.json()) as { otp: string }).otp;
      }),
      confirm: recorder('confirm', async () => true),
      render: recorder('render'),
      refreshCards: recorder('refreshCards'),
      showDeclined: recorder('showDeclined'),
      showTypo: recorder('showTypo'),
      showOffline: recorder('showOffline'),
      authorize: recorder('authorize'),
    };
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => {
      webhookServer?.close(() => resolve());
      webhookServer?.closeAllConnections();
    });
    await w?.close();
    await proxy?.close();
  });

  it('runs every ts snippet of the page in order, each doing what the page says', async () => {
    await run('Configure');
    expect(scope.wallet).toBeDefined();

    // Provision: green, then the OTP step-up (the code from the bank's inbox).
    const green = cardOf(w.cardPrefix, '234');
    const provisioned = (await run('Provision a card', { card: green })).result as { token: Token };
    expect(provisioned.token).toMatchObject({ status: 'ACTIVE', walletAccountId });
    const stepUp = cardOf(w.cardPrefix, '111');
    const stepped = (await run('Provision a card', { card: stepUp })).result as { outcome: string; token: Token };
    expect(stepped.outcome).toBe('verification_required');
    expect(calls.showCard?.map(([t]) => [(t as Token).tokenRef, (t as Token).status, (t as Token).assuranceMethod])).toEqual([
      [provisioned.token.tokenRef, 'ACTIVE', '13'],
      [stepped.token.tokenRef, 'ACTIVE', '11'],
    ]);

    // One-tap bind: the bank's deep link arrives through Linking.
    let onUrl: ((e: { url: string }) => Promise<void>) | undefined;
    const opened: string[] = [];
    const Linking = { addEventListener: (_: string, fn: typeof onUrl) => void (onUrl = fn), openURL: (url: string) => void opened.push(url) };
    await run('One-tap bind (一键绑卡)', { Linking });
    const receipt = await bank.createPushReceipt({ card: cardOf(w.cardPrefix, '234') }, { trid: walletParty.client.trid as string, walletAccountId, callbackUrl: 'https://bank.example.org/done' });
    await onUrl?.({ url: receipt.deepLink });
    const bound = calls.showCard?.[2]?.[0] as Token;
    expect(bound).toMatchObject({ status: 'ACTIVE', assuranceMethod: '14', walletAccountId });
    expect(calls.confirm?.[0]?.[0]).toMatch(/^Add Test Bank 00 •••• [0-9]{4}\?$/);
    expect(opened).toEqual(['https://bank.example.org/done']);

    // Webhooks: the page's Express handler receives the direct push from a second bank.
    await run('Webhooks');
    const pushed = await secondBank.pushToWallet({ card: cardOf(secondPrefix, '234') }, { trid: walletParty.client.trid as string, walletAccountId });
    await until(() => (calls.refreshCards ?? []).length > 0);
    expect(calls.refreshCards).toEqual([[walletAccountId]]);

    // List and manage: both banks' cards; the bound card suspended, resumed, removed.
    await run('List and manage cards', { tokenRef: bound.tokenRef });
    expect(calls.render?.map(([issuer]) => issuer)).toEqual(['Test Bank 00', 'Test Bank 00', 'Test Bank 00', 'Second Docs Bank']);
    expect(((scope.first20 as { data: Token[] }).data).map((t) => t.tokenRef)).toContain(pushed.tokenRef);
    expect((await (scope.wallet as { getCard(ref: string): Promise<Token> }).getCard(bound.tokenRef)).status).toBe('DELETED');

    // Pay, then the acquirer detokenizes what the wallet presented.
    await run('Pay', { tokenRef: provisioned.token.tokenRef });
    expect(scope.creds).toMatchObject({ tokenRef: provisioned.token.tokenRef, atc: expect.anything() });
    await run('Banks and acquirers');
    expect(calls.authorize).toEqual([[green.pan, 12, green.expYear]]);
    expect(String((scope.card as { pan: unknown }).pan)).toBe('[redacted]');

    // Webhooks in your own tests: sign like the TSP, verify with the test key.
    const event = { id: 'evt_docs_1', type: 'token.pushed', createdAt: new Date().toISOString(), data: { token: pushed } } as unknown as WebhookEvent;
    await run('Webhooks (2)', { event });
    expect(scope.verified).toEqual(event);

    // Errors: a typo is caught on the device, a decline comes back with its reason codes.
    await run('Errors', { card: { ...green, pan: `${green.pan.slice(0, -1)}${(Number(green.pan.slice(-1)) + 1) % 10}` } });
    expect(calls.showTypo).toHaveLength(1);
    await run('Errors', { card: cardOf(w.cardPrefix, '000'), device: { ...device, id: `${device.id}_2` } });
    expect(calls.showDeclined).toEqual([[['issuer_declined']]]);
    expect(calls.showOffline).toBeUndefined();

    await run('Retries, idempotency, timeouts', { tokenRef: provisioned.token.tokenRef });
    expect(scope.token).toMatchObject({ tokenRef: provisioned.token.tokenRef, status: 'ACTIVE' });
    await run('Retries, idempotency, timeouts (2)', { tokenRef: provisioned.token.tokenRef });
    const [first, again] = [scope.first, scope.again] as (Token & { lastResponse: { idempotentReplayed: boolean; idempotencyKey: string; statusCode: number } })[];
    expect(first!.lastResponse).toMatchObject({ statusCode: 200, idempotentReplayed: false, idempotencyKey: `suspend-${provisioned.token.tokenRef}-device-lost` });
    expect(again!.lastResponse).toMatchObject({ statusCode: 200, idempotentReplayed: true });
    expect(JSON.stringify(again)).toBe(JSON.stringify(first));

    // Your own access token: the bank's session token, the card of the first provisioning.
    const { cardRef } = await bank.registerCard(green);
    await run('Your own access token: HttpClient', { session: { accessToken: w.issuerToken }, cardRef });
    expect((scope.cardTokens as { data: Token[] }).data.map((t) => t.tokenRef)).toContain(provisioned.token.tokenRef);

    expect(snippets.map((s) => s.id).filter((id) => !ran.has(id))).toEqual([]);
  }, 120_000); // every snippet in turn, each a few round trips: 12–40 s on a loaded 2-core machine
});

async function until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
