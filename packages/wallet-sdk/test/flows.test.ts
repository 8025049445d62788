import { createHash } from 'node:crypto';
import { KeySet, signCompact } from '../../crypto/src';
import { ConflictError, GoneError, PermissionError, ValidationError, WalletClient } from '../src';
import { CREDENTIALS, StandIn, problem, tokenBody } from './support/stand-in';

const RECEIPT = 'Yq3vN8rT2xKp5LmW9zB4cD7fG1hJ6kQ0sV3uX8aE2iO';
const TRID = '90000000001';
const DEVICE = { id: 'dev_5f2c9a81', type: 'phone' as const };

describe('wallet flows', () => {
  let tsp: StandIn;
  let keys: KeySet;
  let wallet: WalletClient;
  beforeAll(async () => {
    tsp = await StandIn.start();
    keys = KeySet.create();
    await keys.generate('ES256', { kid: 'tsp-sig-1' });
    await keys.generate('ECDH-ES+A256KW', { kid: 'tsp-enc-1' });
    tsp.jwks = keys.toPublicJwks();
    wallet = new WalletClient({ baseUrl: tsp.url, credentials: CREDENTIALS, trid: TRID });
  });
  afterAll(() => tsp.close());

  const claims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: tsp.url,
      aud: TRID,
      iat: now,
      exp: now + 900,
      receiptId: 'pr_9XyZ2aB4cD6eF8gH0jK1',
      pushReceiptHash: createHash('sha256').update(RECEIPT).digest('hex'),
      walletAccountId: 'wa_8842a1c7',
      card: { panLast4: '1232', issuerName: 'Sandbox Bank' },
      ...overrides,
    };
  };
  const deepLink = async (c = claims(), signer = keys): Promise<string> => {
    const signedPayload = await signCompact(c, { keySet: signer, kid: signer.list()[0]!.kid }, { typ: 'opentsp-push-receipt+jwt' });
    return `opentspwallet://push?pushReceipt=${RECEIPT}&signedPayload=${signedPayload}&callbackUrl=${encodeURIComponent('https://bank.example.org/back?x=1')}`;
  };

  describe('one-tap bind with a push receipt', () => {
    it('verifies the signed payload, redeems the receipt and returns the ACTIVE token', async () => {
      tsp.on('POST', '/v1/tokens', () => ({ status: 201, body: tokenBody({ assuranceMethod: '14' }) }));
      const link = await deepLink();
      const preview = await wallet.previewPushReceipt(link, 'wa_8842a1c7');
      expect(preview.claims.card).toEqual({ panLast4: '1232', issuerName: 'Sandbox Bank' });
      expect(preview.callbackUrl).toBe('https://bank.example.org/back?x=1');

      const token = await wallet.bindWithPushReceipt(link, { walletAccountId: 'wa_8842a1c7', device: DEVICE });
      expect(token).toMatchObject({ status: 'ACTIVE', assuranceMethod: '14' });
      expect(JSON.parse(tsp.calls('/v1/tokens').at(-1)!.body)).toEqual({ pushReceipt: RECEIPT, walletAccountId: 'wa_8842a1c7', device: DEVICE });
    });

    it.each<[string, () => Promise<string>, string, abstract new (...a: never[]) => Error]>([
      ['a payload signed by someone else', async () => {
        const forger = KeySet.create();
        await forger.generate('ES256', { kid: 'tsp-sig-1' });
        return deepLink(claims(), forger);
      }, 'receipt_signature_invalid', ValidationError],
      ['a payload of another receipt', () => deepLink(claims({ pushReceiptHash: 'a'.repeat(64) })), 'receipt_signature_invalid', ValidationError],
      ['an expired receipt', () => deepLink(claims({ iat: 1_700_000_000, exp: 1_700_000_900 })), 'receipt_expired', GoneError],
      ['a receipt for another wallet', () => deepLink(claims({ aud: '90000000002' })), 'receipt_wrong_requestor', PermissionError],
      ['a receipt for another account', () => deepLink(claims({ walletAccountId: 'wa_other' })), 'receipt_wrong_account', PermissionError],
    ])('refuses %s locally, without redeeming it', async (_name, link, code, cls) => {
      const before = tsp.calls('/v1/tokens').length;
      const err = await wallet.bindWithPushReceipt(await link(), { walletAccountId: 'wa_8842a1c7' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(cls);
      expect(err).toMatchObject({ code, status: undefined });
      expect(tsp.calls('/v1/tokens').length).toBe(before);
    });

    it('refuses a deep link without a signed payload', async () => {
      await expect(wallet.bindWithPushReceipt(`opentspwallet://push?pushReceipt=${RECEIPT}`, { walletAccountId: 'wa_8842a1c7' })).rejects.toMatchObject({
        code: 'deep_link_invalid',
      });
    });

    it('passes on the TSP refusing a receipt redeemed twice, without retrying', async () => {
      tsp.on('POST', '/v1/tokens', () => ({ status: 409, body: problem('receipt_already_redeemed', 409) }));
      const before = tsp.calls('/v1/tokens').length;
      const err = await wallet.bindWithPushReceipt(await deepLink(), { walletAccountId: 'wa_8842a1c7' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect(err).toMatchObject({ code: 'receipt_already_redeemed' });
      expect(tsp.calls('/v1/tokens').length).toBe(before + 1);
    });
  });

  it('provisioning with step-up: start a method, confirm the code, token ACTIVE', async () => {
    const inactive = tokenBody({
      status: 'INACTIVE',
      assuranceMethod: '00',
      verification: { required: true, methods: [{ id: 'idv_sms_1', type: 'sms', maskedDestination: '+86 ***-****-5678' }] },
    });
    tsp.on('POST', '/v1/tokens', () => ({ status: 201, body: inactive }));
    const ref = inactive.tokenRef as string;
    tsp.on('POST', `/v1/tokens/${ref}/verification`, (req) => ({
      status: 201,
      body: {
        challengeId: 'chl_Vb7nM2qR8sT4wX6yZ1aC',
        tokenRef: ref,
        method: { id: (JSON.parse(req.body) as { methodId: string }).methodId, type: 'sms' },
        expiresAt: '2026-01-01T09:10:00Z',
        attemptsRemaining: 3,
        resendsRemaining: 2,
      },
    }));
    tsp.on('POST', `/v1/tokens/${ref}/verification/confirm`, () => ({ status: 200, body: tokenBody({ assuranceMethod: '11' }) }));

    const result = await wallet.provisionCard(
      { pan: '6212345678901232', expMonth: 12, expYear: 2029 },
      { walletAccountId: 'wa_8842a1c7', device: DEVICE, tokenLocation: '02', channel: 'nfc' },
    );
    expect(result.outcome).toBe('verification_required');
    if (result.outcome !== 'verification_required') return;
    expect(result.verification.methods.map((m) => m.id)).toEqual(['idv_sms_1']);
    await expect(result.verification.confirm('482913')).rejects.toThrow(/start/);
    const challenge = await result.verification.start('idv_sms_1');
    expect(challenge.method.id).toBe('idv_sms_1');
    const token = await result.verification.confirm('482913');
    expect(token).toMatchObject({ status: 'ACTIVE', assuranceMethod: '11' });
    expect(JSON.parse(tsp.calls(`/v1/tokens/${ref}/verification/confirm`)[0]!.body)).toEqual({ challengeId: 'chl_Vb7nM2qR8sT4wX6yZ1aC', code: '482913' });
  });

  it('lists cards across pages with for await, passing walletAccountId, limit and cursor', async () => {
    const pages: Record<string, unknown> = {
      first: { data: [tokenBody({ tokenRef: 'tok_aaaaaaaaaaaaaaaa1' }), tokenBody({ tokenRef: 'tok_aaaaaaaaaaaaaaaa2' })], nextCursor: 'c2' },
      c2: { data: [tokenBody({ tokenRef: 'tok_aaaaaaaaaaaaaaaa3' })], nextCursor: null },
    };
    tsp.on('GET', '/v1/tokens', (req) => ({ status: 200, body: pages[req.query.get('cursor') ?? 'first'] }));
    const refs: string[] = [];
    for await (const card of wallet.listCards('wa_8842a1c7', { limit: 2 })) refs.push(card.tokenRef);
    expect(refs).toEqual(['tok_aaaaaaaaaaaaaaaa1', 'tok_aaaaaaaaaaaaaaaa2', 'tok_aaaaaaaaaaaaaaaa3']);
    const queries = tsp.calls('/v1/tokens').filter((r) => r.method === 'GET').map((r) => r.query.toString());
    expect(queries).toEqual(['walletAccountId=wa_8842a1c7&limit=2', 'walletAccountId=wa_8842a1c7&limit=2&cursor=c2']);
    // Breaking out early fetches no further page.
    for await (const _ of wallet.listCards('wa_8842a1c7')) break;
    expect(tsp.calls('/v1/tokens').filter((r) => r.method === 'GET')).toHaveLength(3);
  });

  it('gets payment credentials and removes a card with a reason', async () => {
    const ref = 'tok_7Qm2vXk9LpR4sT8wZa1B';
    const creds = {
      tokenRef: ref,
      tokenPan: '6288123456789015',
      tokenExpiry: { month: 12, year: 2029 },
      cryptogram: 'AAECAwQFBgcICQoLDA0ODxAREhM',
      eci: '07',
      atc: 17,
      transaction: { amount: 12800, currency: 'CNY', merchantId: '898310048160001', channel: 'nfc', transactionType: 'purchase' },
      expiresAt: '2026-01-01T09:05:00Z',
    };
    tsp.on('POST', `/v1/tokens/${ref}/cryptograms`, () => ({ status: 201, body: creds }));
    tsp.on('DELETE', `/v1/tokens/${ref}`, () => ({ status: 200, body: tokenBody({ status: 'DELETED' }) }));
    await expect(wallet.getPaymentCredentials(ref, { amount: 12800, currency: 'CNY', merchantId: '898310048160001', channel: 'nfc' })).resolves.toEqual(creds);
    await expect(wallet.remove(ref, { reason: 'device_lost' })).resolves.toMatchObject({ status: 'DELETED' });
    expect(tsp.calls(`/v1/tokens/${ref}`).at(-1)!.query.get('reason')).toBe('device_lost');
  });
});
