import { randomInt } from 'node:crypto';
import { testPan as newTestPan } from '@opentsp/card';
import { encryptCompact, type Jwk, type Jwks } from '@opentsp/crypto';
import { startBackgroundWork } from '../../services/tsp/src/compose';
import { createTestClient, createTestIssuer, tokenFor, type Issuer, type TestClient } from './clients';
import { registerTestPans } from './leak-scan';
import { startTestTsp, type TestTsp } from './tsp-harness';
import type { Server } from 'node:http';
import { createIssuerSim, type IssuerSim, type IssuerSimOptions, type IssuerSimState, type ReceivedWebhook } from '../../services/issuer-sim/src';

export interface TestIssuerSim {
  /** Base URL, e.g. `http://127.0.0.1:53211`. */
  url: string;
  state: IssuerSimState;
  /** The simulator's card-data public keys (register them as the issuer's `jwks`). */
  publicJwks: IssuerSim['publicJwks'];
  /** Waits until `count` webhooks match (signature verified by the simulator on receipt). */
  waitForWebhooks(filter: { type?: string; tokenRef?: string; receiver?: string }, count?: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  /** The last OTP the TSP asked the bank to deliver for this token. */
  latestOtp(tokenRef: string): string | undefined;
  close(): Promise<void>;
}

/**
 * The issuer simulator (the bank) listening on 127.0.0.1, random port. Give it the TSP's URL
 * (or JWKS source) so it verifies every `OpenTSP-Signature` as a real bank must.
 */
export async function startIssuerSim(options: IssuerSimOptions = {}): Promise<TestIssuerSim> {
  const sim = createIssuerSim(options);
  const server = await new Promise<Server>((resolve) => {
    const s = sim.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    state: sim.state,
    publicJwks: sim.publicJwks,
    async waitForWebhooks(filter, count = 1, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = sim.state.webhooks.list(filter);
        if (found.length >= count) return found;
        if (Date.now() > deadline) {
          throw new Error(`timed out waiting for ${count} webhook(s) ${JSON.stringify(filter)}; got ${found.length}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    latestOtp: (tokenRef) => sim.state.otpInbox.get(tokenRef)?.otp,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A whole "world" for provisioning tests: TSP + issuer-sim + registered parties + card data.


export interface ProvisioningWorld {
  tsp: TestTsp;
  sim: TestIssuerSim;
  issuer: Issuer;
  issuerClient: TestClient;
  wallet: TestClient;
  /** Access tokens (all the client's scopes). */
  walletToken: string;
  issuerToken: string;
  /** The issuer's card BIN prefix (16-digit PANs). */
  cardPrefix: string;
  close(): Promise<void>;
}

/**
 * Starts a TSP (sandbox, its webhook worker running) and an issuer-sim that verifies the TSP's
 * signatures, registers an issuer whose decision / OTP / webhook endpoints are the simulator's,
 * its back-end client, and a wallet whose webhooks also go to the simulator (`/webhooks/wallet`).
 */
export async function startProvisioningWorld(
  options: { env?: Record<string, string>; standInDecision?: 'approve' | 'step_up' | 'decline'; clock?: () => Date } = {},
): Promise<ProvisioningWorld> {
  const tsp = await startTestTsp(
    { OPENTSP_ISSUER_TIMEOUT_MS: '1000', OPENTSP_WEBHOOK_BACKOFF_BASE_MS: '200', ...options.env },
    options.clock ? { clock: options.clock } : {},
  );
  const sim = await startIssuerSim({ tspUrl: tsp.url });
  const stopWork = startBackgroundWork(tsp.services);
  const issuer = await createTestIssuer(tsp, {
    decisionUrl: `${sim.url}/decisions`,
    otpDeliveryUrl: `${sim.url}/otp-deliveries`,
    webhookUrl: `${sim.url}/webhooks`,
    // The bank's card-data key: the TSP encrypts PAN, expiry and CVV2 to it for the bank's check.
    jwks: sim.publicJwks,
    standInDecision: options.standInDecision ?? 'step_up',
  });
  const issuerClient = await createTestClient(tsp, { role: 'issuer', issuerId: issuer.issuerId });
  const wallet = await createTestClient(tsp, { role: 'wallet', webhookUrl: `${sim.url}/webhooks/wallet` });
  const [walletToken, issuerToken] = await Promise.all([tokenFor(tsp, wallet), tokenFor(tsp, issuerClient)]);
  const cardPrefix = issuer.cardBinRanges[0]?.prefix as string;
  return {
    tsp,
    sim,
    issuer,
    issuerClient,
    wallet,
    walletToken,
    issuerToken,
    cardPrefix,
    async close() {
      await stopWork();
      await sim.close();
      // Stop the registry listener before the database goes (it would try to reconnect).
      await tsp.services.identity.close();
      await tsp.close();
    },
  };
}

/**
 * A Luhn-valid 16-digit test PAN of `prefix` whose last four digits start with `last3`
 * (issuer-sim decides on them: `000…` decline, `111…` step-up, anything else approve).
 */
export function testPan(prefix: string, last3 = '234'): string {
  const pan = newTestPan({ prefix, suffix: last3 });
  registerTestPans(pan); // any trace of it in logs or a database dump fails the run
  return pan;
}

/** Compact JWE of card data to the TSP's published `enc` key (as the wallet SDK makes it). */
export async function encryptCardFor(
  tspUrl: string,
  card: { pan: string; expMonth: number; expYear: number; cvv2?: string; cardholderName?: string },
  alg: 'RSA-OAEP-256' | 'ECDH-ES+A256KW' = 'ECDH-ES+A256KW',
): Promise<string> {
  const jwks = (await (await fetch(`${tspUrl}/.well-known/jwks.json`)).json()) as Jwks;
  const key = jwks.keys.find((k) => k.use === 'enc' && k.alg === alg) as Jwk | undefined;
  if (!key) throw new Error(`no ${alg} key in the TSP JWKS`);
  return encryptCompact(card, key, { alg });
}

/**
 * A provisioning request body (contract `ProvisionRequest`). Wallet account and device are
 * fresh per call unless given, so the risk engine's velocity rules (per device, per account)
 * do not couple one test to another.
 */
export function provisionBody(encryptedCard: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const n = randomInt(1e9);
  return {
    encryptedCard,
    walletAccountId: `wa_e2e_${n}`,
    device: { id: `dev_e2e_${n}`, type: 'phone', os: 'android', osVersion: '15', model: 'Pixel 9', name: 'Test phone', ip: '203.0.113.24', score: 90 },
    tokenLocation: '02',
    channel: 'nfc',
    ...overrides,
  };
}
