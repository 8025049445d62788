import type { components } from '@opentsp/api-types';
import type { AdminContext } from '../../services/tsp/src/domain/identity';
import type { CreateClientRequest } from '../../services/tsp/src/domain/identity/clients';
import type { TestTsp } from './tsp-harness';

/**
 * Registered parties for route tests: create issuers and clients through the real identity
 * services, and get real access tokens from the real `POST /oauth2/token`.
 *
 * @example
 * ```ts
 * const tsp = await startTestTsp();
 * const { wallet, issuerClient } = await createTestParties(tsp);
 * const res = await request(tsp.url).get('/v1/tokens').set(bearer(await tokenFor(tsp, wallet)));
 * ```
 */
export type Client = components['schemas']['Client'];
export type Issuer = components['schemas']['Issuer'];

/** A registered client with its secret (shown once at creation). */
export interface TestClient {
  clientId: string;
  clientSecret: string;
  client: Client;
  /** The A256GCMKW response key of an acquirer created with one. */
  responseEncryptionKey?: components['schemas']['OctJwk'];
}

export interface TestParties {
  issuer: Issuer;
  issuerClient: TestClient;
  wallet: TestClient;
  acquirer: TestClient;
  admin: TestClient;
}

const TEST_ACTOR: AdminContext = { actor: { type: 'system' } };
const issuersMade = new WeakMap<TestTsp, number>();

/**
 * Registers an issuer with fresh, non-overlapping ranges: card BIN `6213NN` and token BIN
 * `6288NN` (NN counts issuers per TSP), both 16 digits, unless `overrides` says otherwise.
 */
export async function createTestIssuer(tsp: TestTsp, overrides: Partial<components['schemas']['CreateIssuerRequest']> = {}): Promise<Issuer> {
  const n = issuersMade.get(tsp) ?? 0;
  issuersMade.set(tsp, n + 1);
  const nn = String(n).padStart(2, '0');
  return tsp.services.identity.issuers.create(TEST_ACTOR, {
    name: `Test Bank ${nn}`,
    country: 'CN',
    cardBinRanges: [{ prefix: `6213${nn}`, panLength: 16 }],
    tokenBinRanges: [{ prefix: `6288${nn}`, tokenLength: 16 }],
    standInDecision: 'approve',
    ...overrides,
  });
}

/** Registers a client (`client_secret_basic` unless the request says otherwise). */
export async function createTestClient(
  tsp: TestTsp,
  request: Partial<CreateClientRequest> & Pick<CreateClientRequest, 'role'>,
): Promise<TestClient> {
  const result = await tsp.services.identity.clients.create(TEST_ACTOR, {
    name: `Test ${request.role}`,
    tokenEndpointAuthMethod: 'client_secret_basic',
    ...request,
  });
  return {
    clientId: result.client.clientId,
    clientSecret: result.clientSecret ?? '',
    client: result.client,
    ...(result.responseEncryptionKey ? { responseEncryptionKey: result.responseEncryptionKey } : {}),
  };
}

/** One issuer (with its client), one wallet, one acquirer (merchant `898310048160001`) and one admin. */
export async function createTestParties(tsp: TestTsp): Promise<TestParties> {
  const issuer = await createTestIssuer(tsp);
  const [issuerClient, wallet, acquirer, admin] = await Promise.all([
    createTestClient(tsp, { role: 'issuer', issuerId: issuer.issuerId }),
    createTestClient(tsp, { role: 'wallet' }),
    createTestClient(tsp, { role: 'acquirer', merchantIds: ['898310048160001'], responseEncryption: { alg: 'A256GCMKW' } }),
    createTestClient(tsp, { role: 'admin' }),
  ]);
  return { issuer, issuerClient, wallet, acquirer, admin };
}

/** A real access token for the client from `POST /oauth2/token` (all its scopes, or `scope`). */
export async function tokenFor(tsp: Pick<TestTsp, 'url'>, client: Pick<TestClient, 'clientId' | 'clientSecret'>, scope?: string): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) });
  const res = await fetch(`${tsp.url}/oauth2/token`, {
    method: 'POST',
    headers: { Authorization: basicAuth(client.clientId, client.clientSecret), 'Content-Type': 'application/x-www-form-urlencoded' },
    body,
  });
  const json = (await res.json()) as { access_token?: string; code?: string };
  if (res.status !== 200 || !json.access_token) throw new Error(`token request failed: ${res.status} ${json.code ?? ''}`);
  return json.access_token;
}

/** `Authorization: Basic …` for client_secret_basic (RFC 6749 §2.3.1: form-encode, then base64). */
export function basicAuth(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** Headers for a bearer call: `request(url).get(path).set(bearer(token))`. */
export function bearer(accessToken: string): { Authorization: string } {
  return { Authorization: `Bearer ${accessToken}` };
}
