import type { Server } from 'node:http';
import { createIssuerSimApp } from '../src/app';

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

  it.each([
    ['1232', { decision: 'approve' }],
    ['0009', { decision: 'decline', reasonCode: 'issuer_declined' }],
    ['1115', { decision: 'step_up', reasonCode: 'issuer_step_up', idvMethods: expect.arrayContaining([expect.objectContaining({ type: 'sms' })]) }],
  ])('decides a card ending %s', async (last4, want) => {
    const res = await post('/decisions', activationRequest(last4));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(want);
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
