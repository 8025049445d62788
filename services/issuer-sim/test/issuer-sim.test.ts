import type { Server } from 'node:http';
import { encryptCompact, KeySet, type Jwk } from '@opentsp/crypto';
import { createIssuerSimApp } from '../src/app';
import { SANDBOX_CARDS } from '../src/card-records';
import { SANDBOX_CARD_PUBLIC_KEY } from '../src/sandbox-card-key';

function activationRequest(panLast4: string) {
  return {
    requestId: 'req_test0001',
    tokenRef: 'tok_AAAAAAAAAAAAAAAA',
    cardRef: 'card_AAAAAAAAAAAAAAAA',
    panLast4,
    trid: '40100000001',
    walletAccountId: 'wallet-account-1',
    tokenLocation: '03',
    channel: 'nfc',
    risk: { outcome: 'approve', reasonCodes: [] },
  };
}

describe('issuer simulator over HTTP', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = await new Promise<Server>((resolve) => {
      const s = createIssuerSimApp().listen(0, '127.0.0.1', () => resolve(s));
    });
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const post = (path: string, body: unknown) =>
    fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  const unchecked = { expiryResult: 'not_checked', cvv2Result: 'not_checked' };
  it.each([
    ['1232', { decision: 'approve', ...unchecked }],
    ['0009', { decision: 'decline', reasonCode: 'issuer_declined', ...unchecked }],
    ['1115', { decision: 'step_up', reasonCode: 'issuer_step_up', idvMethods: expect.arrayContaining([expect.objectContaining({ type: 'sms' })]), ...unchecked }],
  ])('decides a card ending %s (no card data: nothing checked)', async (last4, want) => {
    const res = await post('/decisions', activationRequest(last4));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(want);
  });

  const approveCard = SANDBOX_CARDS[0]!;
  const withCard = async (card: Record<string, unknown>, key: Jwk = SANDBOX_CARD_PUBLIC_KEY as unknown as Jwk) => ({
    ...activationRequest(String(card.pan).slice(-4)),
    encryptedCard: await encryptCompact(card, key, { alg: key.alg as 'RSA-OAEP-256' }),
  });
  it.each([
    ['the right expiry and CVV2', { expMonth: 12, expYear: 2031, cvv2: '123' }, { decision: 'approve', expiryResult: 'match', cvv2Result: 'match' }],
    ['a wrong expiry', { expMonth: 11, expYear: 2031, cvv2: '123' }, { decision: 'decline', reasonCode: 'card_verification_failed', expiryResult: 'no_match', cvv2Result: 'match' }],
    ['a wrong CVV2', { expMonth: 12, expYear: 2031, cvv2: '321' }, { decision: 'decline', reasonCode: 'card_verification_failed', expiryResult: 'match', cvv2Result: 'no_match' }],
    ['no CVV2', { expMonth: 12, expYear: 2031 }, { decision: 'approve', expiryResult: 'match', cvv2Result: 'not_checked' }],
  ])('decrypts a sandbox card sent with %s and checks it against its record', async (_name, sent, want) => {
    const res = await post('/decisions', await withCard({ pan: approveCard.pan, ...sent }));
    expect(await res.json()).toEqual(want);
  });

  it('checks only the CVV2 (123) of a card it has no record of, and declines card data it cannot open', async () => {
    const unknown = '6213991234567897';
    expect(await (await post('/decisions', await withCard({ pan: unknown, expMonth: 1, expYear: 2030, cvv2: '123' }))).json()).toEqual({
      decision: 'approve',
      expiryResult: 'not_checked',
      cvv2Result: 'match',
    });
    const other = await KeySet.create().generate('RSA-OAEP-256');
    const unreadable = await withCard({ pan: approveCard.pan, expMonth: 12, expYear: 2031, cvv2: '123' }, other.toPublicJwk() as unknown as Jwk);
    expect(await (await post('/decisions', unreadable)).json()).toMatchObject({ decision: 'decline', reasonCode: 'card_data_unreadable' });
  });

  it('hands the last delivered code for a token to the "cardholder"', async () => {
    const delivery = {
      challengeId: 'chl_AAAAAAAAAAAAAAAA',
      tokenRef: 'tok_BBBBBBBBBBBBBBBB',
      cardRef: 'card_AAAAAAAAAAAAAAAA',
      method: { id: 'sms-1', type: 'sms', maskedDestination: '+86 *** **** 1234' },
      otp: '493817',
      expiresAt: new Date(Date.now() + 300_000).toISOString(),
    };
    expect((await post('/otp-deliveries', delivery)).status).toBe(204);
    const latest = await fetch(`${url}/otp-deliveries/latest?tokenRef=tok_BBBBBBBBBBBBBBBB`);
    expect(await latest.json()).toEqual(delivery);
    expect((await fetch(`${url}/otp-deliveries/latest?tokenRef=tok_unknown`)).status).toBe(404);
  });
});
