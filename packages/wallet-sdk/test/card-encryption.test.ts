// The TSP's own JWE implementation, imported in this test only: what the SDK encrypts must
// decrypt with exactly what the server runs.
import { KeySet, decryptCompact, type JweAlgorithm } from '../../crypto/src';
import { ValidationError, WalletClient, type CardEncryptionAlg } from '../src';
import { CREDENTIALS, FAST_RETRY, StandIn, problem, tokenBody } from './support/stand-in';

const CARD = { pan: '6212345678901232', expMonth: 12, expYear: 2029, cvv2: '123', cardholderName: 'TEST CARDHOLDER' };
const CONTEXT = {
  walletAccountId: 'wa_8842a1c7',
  device: { id: 'dev_5f2c9a81', type: 'phone' as const, os: 'android' as const },
  tokenLocation: '02' as const,
  channel: 'nfc' as const,
};
const ALGS: JweAlgorithm[] = ['RSA-OAEP-256', 'ECDH-ES+A256KW'];

/** A stand-in `POST /v1/tokens` that decrypts like the TSP: 422 jwe_invalid when it cannot. */
function serveProvisioning(tsp: StandIn, keys: () => KeySet, seen: Array<{ header: Record<string, unknown>; card: unknown }>): void {
  tsp.on('POST', '/v1/tokens', async (req) => {
    const body = JSON.parse(req.body) as { encryptedCard: string };
    try {
      const { plaintext, header } = await decryptCompact(body.encryptedCard, keys(), { algorithms: ALGS, maxAgeSeconds: 300 });
      seen.push({ header, card: JSON.parse(plaintext.toString('utf8')) });
      return { status: 201, body: tokenBody() };
    } catch {
      return { status: 422, body: problem('jwe_invalid', 422) };
    }
  });
}

describe('card data encrypted on the device to the TSP', () => {
  let tsp: StandIn;
  let keys: KeySet;
  beforeEach(async () => {
    tsp = await StandIn.start();
    keys = KeySet.create();
    await keys.generate('RSA-OAEP-256', { kid: 'tsp-enc-rsa-1' });
    await keys.generate('ECDH-ES+A256KW', { kid: 'tsp-enc-ec-1' });
    await keys.generate('ES256', { kid: 'tsp-sig-1' });
    tsp.jwks = keys.toPublicJwks();
  });
  afterEach(() => tsp.close());

  it.each<[CardEncryptionAlg, string]>([
    ['RSA-OAEP-256', 'tsp-enc-rsa-1'],
    ['ECDH-ES+A256KW', 'tsp-enc-ec-1'],
  ])('produces a %s JWE that @opentsp/crypto decryptCompact opens', async (alg, kid) => {
    const seen: Array<{ header: Record<string, unknown>; card: unknown }> = [];
    serveProvisioning(tsp, () => keys, seen);
    const wallet = new WalletClient({ baseUrl: tsp.url, credentials: CREDENTIALS, cardEncryption: [alg] });
    const result = await wallet.provisionCard({ ...CARD, pan: '6212 3456 7890 1232' }, CONTEXT);
    expect(result.outcome).toBe('active');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.card).toEqual(CARD);
    expect(seen[0]!.header).toMatchObject({ alg, enc: 'A256GCM', kid });
    expect(Math.abs((seen[0]!.header.iat as number) - Date.now() / 1000)).toBeLessThan(5);
    // The PAN never travels in clear.
    const sent = tsp.calls('/v1/tokens')[0]!.body;
    expect(sent).not.toContain('6212345678901232');
    expect(JSON.parse(sent)).toMatchObject({ ...CONTEXT, encryptedCard: expect.stringMatching(/^[\w-]+(\.[\w-]+){4}$/) });
  });

  it('prefers RSA-OAEP-256 by default', async () => {
    const seen: Array<{ header: Record<string, unknown>; card: unknown }> = [];
    serveProvisioning(tsp, () => keys, seen);
    const wallet = new WalletClient({ baseUrl: tsp.url, credentials: CREDENTIALS });
    await wallet.provisionCard(CARD, CONTEXT);
    expect(seen[0]!.header.alg).toBe('RSA-OAEP-256');
  });

  it('fetches the JWKS once for many provisionings (cached by kid)', async () => {
    serveProvisioning(tsp, () => keys, []);
    const wallet = new WalletClient({ baseUrl: tsp.url, credentials: CREDENTIALS });
    await wallet.provisionCard(CARD, CONTEXT);
    await wallet.provisionCard(CARD, CONTEXT);
    await wallet.provisionCard(CARD, CONTEXT);
    expect(tsp.calls('/.well-known/jwks.json')).toHaveLength(1);
  });

  it('re-fetches the JWKS when the cached copy is older than maxAgeMs', async () => {
    serveProvisioning(tsp, () => keys, []);
    let now = Date.now();
    const wallet = new WalletClient({ baseUrl: tsp.url, credentials: CREDENTIALS, clock: () => now, jwks: { maxAgeMs: 60_000 } });
    await wallet.provisionCard(CARD, CONTEXT);
    now += 61_000;
    await wallet.provisionCard(CARD, CONTEXT);
    expect(tsp.calls('/.well-known/jwks.json')).toHaveLength(2);
  });

  it('after a key rotation, the TSP answers jwe_invalid once; the SDK refreshes the JWKS, re-encrypts and succeeds', async () => {
    const seen: Array<{ header: Record<string, unknown>; card: unknown }> = [];
    serveProvisioning(tsp, () => keys, seen);
    const wallet = new WalletClient({ baseUrl: tsp.url, credentials: CREDENTIALS, retry: FAST_RETRY });
    await wallet.provisionCard(CARD, CONTEXT); // caches tsp-enc-rsa-1

    // Rotation: the old enc key is retired; only the new one decrypts and is published.
    const rotated = KeySet.create();
    await rotated.generate('RSA-OAEP-256', { kid: 'tsp-enc-rsa-2' });
    keys = rotated;
    tsp.jwks = rotated.toPublicJwks();

    const result = await wallet.provisionCard(CARD, CONTEXT, { idempotencyKey: 'prov-1' });
    expect(result.outcome).toBe('active');
    const tries = tsp.calls('/v1/tokens').slice(1);
    expect(tries).toHaveLength(2);
    expect(tries.map((t) => t.headers['idempotency-key'])).toEqual(['prov-1', 'prov-1.rekeyed']);
    expect(seen.at(-1)!.header.kid).toBe('tsp-enc-rsa-2');
    expect(tsp.calls('/.well-known/jwks.json')).toHaveLength(2);
  });

  it('gives up after one refresh when jwe_invalid persists', async () => {
    tsp.on('POST', '/v1/tokens', () => ({ status: 422, body: problem('jwe_invalid', 422) }));
    const wallet = new WalletClient({ baseUrl: tsp.url, credentials: CREDENTIALS });
    const err = await wallet.provisionCard(CARD, CONTEXT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ code: 'jwe_invalid' });
    expect(tsp.calls('/v1/tokens')).toHaveLength(2);
  });

  it('refuses a card number failing Luhn before any network call, without echoing it', async () => {
    const wallet = new WalletClient({ baseUrl: tsp.url, credentials: CREDENTIALS });
    const err = await wallet.provisionCard({ ...CARD, pan: '6212345678901233' }, CONTEXT).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'card_invalid_luhn', status: undefined });
    expect(String((err as Error).message)).not.toContain('6212345678901233');
    expect(tsp.received).toHaveLength(0);
  });
});
