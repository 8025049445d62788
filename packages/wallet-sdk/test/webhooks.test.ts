import { KeySet, signCompact } from '../../crypto/src';
import {
  WalletClient,
  WebhookVerificationError,
  generateTestWebhookKey,
  signTestWebhook,
  verifyWebhook,
  type WebhookEvent,
} from '../src';
import { CREDENTIALS, StandIn, tokenBody } from './support/stand-in';

const EVENT = {
  id: 'evt_Pq7Rs9Tu1Vw3Xy5Za7Bc',
  type: 'token.suspended',
  createdAt: '2026-01-01T09:30:00Z',
  data: { token: tokenBody({ status: 'SUSPENDED' }), previousStatus: 'ACTIVE', reason: 'device_lost' },
} as unknown as WebhookEvent;

async function codeOf(run: Promise<unknown>): Promise<string> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof WebhookVerificationError)) throw new Error(`expected a WebhookVerificationError, got ${String(err)}`);
  return err.code;
}

describe('webhook signatures (OpenTSP-Signature)', () => {
  let tsp: StandIn;
  let keys: KeySet;
  let wallet: WalletClient;
  const rawBody = JSON.stringify(EVENT);

  beforeAll(async () => {
    tsp = await StandIn.start();
    keys = KeySet.create();
    await keys.generate('ES256', { kid: 'tsp-sig-1' });
    tsp.jwks = keys.toPublicJwks();
    wallet = new WalletClient({ baseUrl: tsp.url, credentials: CREDENTIALS, jwks: { unknownKidCooldownMs: 0 } });
  });
  afterAll(() => tsp.close());

  const sign = (body: string | object, kid = 'tsp-sig-1'): Promise<string> => signCompact(body, { keySet: keys, kid }, { detached: true });

  it('accepts a detached JWS made by @opentsp/crypto signCompact over the raw body (string or Buffer)', async () => {
    const signature = await sign(rawBody);
    await expect(wallet.verifyWebhook(rawBody, { 'opentsp-signature': signature })).resolves.toEqual(EVENT);
    await expect(wallet.verifyWebhook(Buffer.from(rawBody), new Headers({ 'OpenTSP-Signature': signature }))).resolves.toEqual(EVENT);
  });

  it('refuses a tampered body', async () => {
    const signature = await sign(rawBody);
    const tampered = rawBody.replace('device_lost', 'lost');
    expect(await codeOf(wallet.verifyWebhook(tampered, { 'OpenTSP-Signature': signature }))).toBe('webhook_signature_invalid');
  });

  it('refuses a signature whose iat is more than 5 minutes old', async () => {
    const signature = await sign(rawBody);
    const later = Date.now() + 301_000;
    const err = verifyWebhook(rawBody, { 'opentsp-signature': signature }, { keys: wallet.jwks, clock: () => later });
    expect(await codeOf(err)).toBe('webhook_timestamp_out_of_range');
  });

  it('refuses an unknown kid after refreshing the JWKS once', async () => {
    const stranger = KeySet.create();
    await stranger.generate('ES256', { kid: 'not-the-tsp' });
    const signature = await signCompact(rawBody, { keySet: stranger, kid: 'not-the-tsp' }, { detached: true });
    const before = tsp.calls('/.well-known/jwks.json').length;
    expect(await codeOf(wallet.verifyWebhook(rawBody, { 'opentsp-signature': signature }))).toBe('webhook_key_unknown');
    expect(tsp.calls('/.well-known/jwks.json').length).toBe(before + 1);
  });

  it('picks up a rotated signing key by refreshing the JWKS on its new kid', async () => {
    await keys.generate('ES256', { kid: 'tsp-sig-2' });
    tsp.jwks = keys.toPublicJwks();
    const signature = await sign(rawBody, 'tsp-sig-2');
    await expect(wallet.verifyWebhook(rawBody, { 'opentsp-signature': signature })).resolves.toEqual(EVENT);
  });

  it('refuses a parsed object with a clear message, and a missing header', async () => {
    const signature = await sign(rawBody);
    const err = await wallet.verifyWebhook(EVENT as unknown as string, { 'opentsp-signature': signature }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'webhook_body_not_raw' });
    expect((err as Error).message).toMatch(/raw request body/);
    expect(await codeOf(wallet.verifyWebhook(rawBody, {}))).toBe('webhook_signature_invalid');
  });

  it('signTestWebhook round-trips through verifyWebhook with the test key', async () => {
    const testKey = await generateTestWebhookKey('test-sig-1');
    const { body, headers } = await signTestWebhook(EVENT, testKey.privateJwk);
    await expect(verifyWebhook(body, headers, { keys: testKey.jwks })).resolves.toEqual(EVENT);
    // …and is refused by the real TSP's keys, so a test key cannot be mistaken for production.
    expect(await codeOf(wallet.verifyWebhook(body, headers))).toBe('webhook_key_unknown');
    const stale = await signTestWebhook(EVENT, testKey.privateJwk, { iat: Math.floor(Date.now() / 1000) - 600 });
    expect(await codeOf(verifyWebhook(stale.body, stale.headers, { keys: testKey.jwks }))).toBe('webhook_timestamp_out_of_range');
  });
});
