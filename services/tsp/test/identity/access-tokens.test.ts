import { KeySet, signJwt, type Key } from '@opentsp/crypto';
import request from 'supertest';
import { AccessError } from '../../src/errors';
import { createAccessTokens } from '../../src/domain/identity/access-tokens';
import type { Client } from '../../src/domain/identity/records';
import { RegistryCache } from '../../src/domain/identity/registry';
import type { TspKeyRing } from '../../src/vault/tsp-key-ring';
import { bearer, createTestParties, tokenFor, type TestParties } from '../../../../test/support/clients';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';

const ISSUER = 'https://tsp.test';

function client(overrides: Partial<Client> = {}): Client {
  return {
    clientId: 'cli_wallet00000000000001',
    role: 'wallet',
    name: 'Wallet',
    status: 'active',
    trid: '40100000001',
    scopes: ['tokens:read'],
    tokenEndpointAuthMethod: 'client_secret_basic',
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

/** A key ring whose keys the test rotates and retires, like the vault's. */
async function rotatingKeyRing(): Promise<TspKeyRing & { rotate(): Promise<Key>; retire(kid: string): void }> {
  const keys = KeySet.create();
  let current = await keys.generate('ES256');
  return {
    signingKey: () => current,
    decryptionKeys: () => keys,
    publicJwks: () => keys.toPublicJwks(),
    async rotate() {
      current = await keys.generate('ES256');
      return current;
    },
    retire: (kid) => void keys.remove(kid),
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof AccessError ? err.code : String(err);
  }
}

describe('access token verification (domain)', () => {
  it('accepts its own tokens and builds the principal from claims and the registry', async () => {
    const ring = await rotatingKeyRing();
    const registry = new RegistryCache();
    registry.replaceAll([client({ role: 'acquirer', trid: undefined, merchantIds: ['m-1'] })], []);
    const tokens = createAccessTokens({ keyRing: ring, issuer: ISSUER, ttlSeconds: 900, registry });
    const issued = tokens.issue(registry.getClient('cli_wallet00000000000001') as Client, ['detokenize']);
    expect(tokens.authenticator.authenticate(issued.accessToken)).toEqual({
      clientId: 'cli_wallet00000000000001',
      role: 'acquirer',
      scopes: ['detokenize'],
      merchantIds: ['m-1'],
    });
  });

  it('refuses a token signed by a retired key with token_invalid, and follows a rotation', async () => {
    const ring = await rotatingKeyRing();
    const registry = new RegistryCache();
    registry.replaceAll([client()], []);
    const tokens = createAccessTokens({ keyRing: ring, issuer: ISSUER, ttlSeconds: 900, registry, keyCheckIntervalMs: 0 });
    const old = tokens.issue(client(), ['tokens:read']).accessToken;
    expect(codeOf(() => tokens.authenticator.authenticate(old))).toBeUndefined();

    const oldKid = ring.signingKey().kid;
    await ring.rotate();
    const fresh = tokens.issue(client(), ['tokens:read']).accessToken;
    // A key rotated in (by this or another process) is picked up on first sight of its kid.
    expect(codeOf(() => tokens.authenticator.authenticate(fresh))).toBeUndefined();
    expect(codeOf(() => tokens.authenticator.authenticate(old))).toBeUndefined();

    ring.retire(oldKid);
    expect(codeOf(() => tokens.authenticator.authenticate(old))).toBe('token_invalid');
    expect(codeOf(() => tokens.authenticator.authenticate(fresh))).toBeUndefined();
  });

  it('stops accepting a retired key within the key check interval even for a token it verified before', async () => {
    const ring = await rotatingKeyRing();
    const registry = new RegistryCache();
    registry.replaceAll([client()], []);
    const tokens = createAccessTokens({ keyRing: ring, issuer: ISSUER, ttlSeconds: 900, registry, keyCheckIntervalMs: 50 });
    const old = tokens.issue(client(), ['tokens:read']).accessToken;
    tokens.authenticator.authenticate(old);
    const oldKid = ring.signingKey().kid;
    await ring.rotate();
    ring.retire(oldKid);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(codeOf(() => tokens.authenticator.authenticate(old))).toBe('token_invalid');
  });

  it('refuses a suspended client on the very next call, and answers 503 before the registry is loaded', async () => {
    const ring = await rotatingKeyRing();
    const registry = new RegistryCache();
    const tokens = createAccessTokens({ keyRing: ring, issuer: ISSUER, ttlSeconds: 900, registry });
    const token = tokens.issue(client(), ['tokens:read']).accessToken;
    expect(() => tokens.authenticator.authenticate(token)).toThrow(expect.objectContaining({ code: 'service_unavailable' }));
    registry.replaceAll([client()], []);
    expect(codeOf(() => tokens.authenticator.authenticate(token))).toBeUndefined();
    registry.putClient(client().clientId, client({ status: 'suspended' }));
    expect(codeOf(() => tokens.authenticator.authenticate(token))).toBe('client_suspended');
  });

  it('needs no database: verification is in memory (the registry is the only lookup)', async () => {
    // Nothing in this test has a database handle; thousands of verifications still run.
    const ring = await rotatingKeyRing();
    const registry = new RegistryCache();
    registry.replaceAll([client()], []);
    const tokens = createAccessTokens({ keyRing: ring, issuer: ISSUER, ttlSeconds: 900, registry });
    const token = tokens.issue(client(), ['tokens:read']).accessToken;
    const start = process.hrtime.bigint();
    for (let i = 0; i < 10_000; i++) tokens.authenticator.authenticate(token);
    const perCallUs = Number(process.hrtime.bigint() - start) / 1e3 / 10_000;
    expect(perCallUs).toBeLessThan(50);
  });
});

describe('access tokens on the API', () => {
  let tsp: TestTsp;
  let parties: TestParties;
  let walletToken: string;
  beforeAll(async () => {
    tsp = await startTestTsp();
    parties = await createTestParties(tsp);
    walletToken = await tokenFor(tsp, parties.wallet);
  });
  afterAll(async () => {
    await tsp.services.identity.close();
    await tsp.close();
  });

  async function expect401(token: string, code: string) {
    const res = await request(tsp.url).get('/v1/tokens').set(bearer(token));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe(code);
    // RFC 6750 §3: generic OAuth clients refresh their token on error="invalid_token".
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="opentsp", error="invalid_token", error_description="[^"]+"$/);
  }

  it('refuses a tampered token (payload changed) with token_invalid', async () => {
    const [h, p, s] = walletToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, scope: 'admin', role: 'admin' })).toString('base64url');
    await expect401(`${h}.${forged}.${s}`, 'token_invalid');
    await expect401(`${h}.${p}.${s.slice(0, -4)}AAAA`, 'token_invalid');
    await expect401('not-a-jwt', 'token_invalid');
  });

  it('refuses a token signed by a key that is not (or no longer) in the TSP key ring with token_invalid', async () => {
    const keys = KeySet.create();
    const foreign = await keys.generate('ES256', { kid: 'retired-or-foreign' });
    const claims = { sub: parties.wallet.clientId, client_id: parties.wallet.clientId, scope: 'tokens:read', role: 'wallet' };
    const token = signJwt(claims, foreign, { issuer: tsp.config.publicUrl, audience: tsp.config.publicUrl, expiresInSeconds: 300, typ: 'at+jwt' });
    await expect401(token, 'token_invalid');
  });

  it('refuses an expired token with token_expired, a wrong typ or audience with token_invalid', async () => {
    const key = tsp.services.vault.keyRing.signingKey();
    const claims = { sub: parties.wallet.clientId, client_id: parties.wallet.clientId, scope: 'tokens:read', role: 'wallet' };
    const base = { issuer: tsp.config.publicUrl, audience: tsp.config.publicUrl, typ: 'at+jwt' };
    await expect401(signJwt(claims, key, { ...base, expiresInSeconds: -120 }), 'token_expired');
    await expect401(signJwt(claims, key, { ...base, typ: 'JWT', expiresInSeconds: 300 }), 'token_invalid');
    await expect401(signJwt(claims, key, { ...base, audience: 'https://elsewhere.example', expiresInSeconds: 300 }), 'token_invalid');
  });

  it('answers a missing token with 401 unauthorized and a Bearer challenge', async () => {
    const res = await request(tsp.url).get('/v1/tokens');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('unauthorized');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
  });
});
