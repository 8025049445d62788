import { encryptCompact, type Jwk } from '@opentsp/crypto';
import { testPan } from '@opentsp/card';
import { bearer, createTestClient, createTestIssuer, tokenFor, type Issuer, type TestClient } from '../../../../test/support/clients';
import type { TestTsp } from '../../../../test/support/tsp-harness';

/** A Luhn-valid 16-digit PAN in `prefix` (a test issuer's card BIN `6213NN`). */
export function panIn(prefix: string, serial: number): string {
  return testPan({ prefix, serial });
}

/** `encryptedCard` as a bank or wallet makes it: a JWE to the TSP's published `enc` key. */
export async function encryptCard(tsp: TestTsp, pan: string, expiry = { expMonth: 12, expYear: new Date().getUTCFullYear() + 3 }): Promise<string> {
  const jwks = tsp.services.vault.keyRing.publicJwks();
  const key = jwks.keys.find((k) => (k as Jwk).use === 'enc' && (k as Jwk).alg === 'ECDH-ES+A256KW') as Jwk;
  return encryptCompact({ pan, ...expiry }, key, { alg: 'ECDH-ES+A256KW' });
}

export interface PushParty {
  issuer: Issuer;
  client: TestClient;
  /** Bearer headers with every scope of the client. */
  auth: { Authorization: string };
}

export interface WalletParty {
  client: TestClient;
  trid: string;
  auth: { Authorization: string };
}

/** An issuer with its client (scopes `push:create`, `issuer:tokens`, `issuer:cards`). */
export async function createPushIssuer(tsp: TestTsp, overrides: { webhookUrl?: string } = {}): Promise<PushParty> {
  const issuer = await createTestIssuer(tsp, overrides.webhookUrl ? { webhookUrl: overrides.webhookUrl } : {});
  const client = await createTestClient(tsp, { role: 'issuer', issuerId: issuer.issuerId });
  return { issuer, client, auth: bearer(await tokenFor(tsp, client)) };
}

/** A wallet with an app deep link scheme (or only a web URI, or neither). */
export async function createPushWallet(
  tsp: TestTsp,
  options: { appUri?: string | null; webUri?: string; webhookUrl?: string; name?: string } = {},
): Promise<WalletParty> {
  const client = await createTestClient(tsp, {
    role: 'wallet',
    name: options.name ?? 'Test Wallet',
    ...(options.appUri === null ? {} : { appUri: options.appUri ?? 'opentspwallet://push' }),
    ...(options.webUri ? { webUri: options.webUri } : {}),
    ...(options.webhookUrl ? { webhookUrl: options.webhookUrl } : {}),
  });
  return { client, trid: client.client.trid as string, auth: bearer(await tokenFor(tsp, client)) };
}

/** Stores a card of the issuer in the vault (as `POST /v1/issuer/cards` does); returns its cardRef. */
export async function storeCard(tsp: TestTsp, party: PushParty, serial: number): Promise<string> {
  const pan = panIn(party.issuer.cardBinRanges[0]?.prefix as string, serial);
  const stored = await tsp.services.uow.transaction((tx) =>
    tsp.services.vault.cards.storeCard(tx, { issuerId: party.issuer.issuerId, pan, expMonth: 12, expYear: new Date().getUTCFullYear() + 3, cardArtAssetId: 'art_gold' }),
  );
  return stored.cardRef;
}
