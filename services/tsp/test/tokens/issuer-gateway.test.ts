import { createServer, type Server } from 'node:http';
import { decryptJson, KeySet, verifyCompact, type Key } from '@opentsp/crypto';
import { applyCardVerification, parseDecision, requestDecision, type IssuerDecision } from '../../src/domain/issuer-gateway';
import { Cvv2, Pan } from '../../src/vault/secrets';
import type { Issuer } from '../../src/domain/identity/records';

function issuerWith(decisionUrl: string | undefined, standInDecision: Issuer['standInDecision']): Issuer {
  return {
    issuerId: 'iss_AAAAAAAAAAAAAAAA',
    name: 'Test Bank',
    country: 'CN',
    status: 'active',
    cardBinRanges: [],
    tokenBinRanges: [],
    standInDecision,
    binControllerId: 'T401',
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    ...(decisionUrl ? { decisionUrl } : {}),
  };
}

const REQUEST = {
  requestId: 'req-1',
  tokenRef: 'tok_AAAAAAAAAAAAAAAA',
  cardRef: 'card_AAAAAAAAAAAAAAAA',
  panLast4: '1232',
  trid: '40100000001',
  walletAccountId: 'wa_1',
  tokenLocation: '02' as const,
  channel: 'nfc' as const,
  risk: { outcome: 'approve' as const, reasonCodes: [] },
};

describe('issuer gateway: the decision call', () => {
  let keys: KeySet;
  let signingKey: Key;
  let server: Server;
  let url: string;
  let answer: (body: string, signature: string | undefined) => { status: number; body?: unknown; hang?: boolean };
  beforeAll(async () => {
    keys = KeySet.create();
    signingKey = await keys.generate('ES256');
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const a = answer(body, req.headers['opentsp-signature'] as string | undefined);
        if (a.hang) return;
        res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body === undefined ? '' : JSON.stringify(a.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/decisions`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('signs the exact body with a detached JWS the issuer can verify', async () => {
    let verified = false;
    answer = (body, signature) => {
      void verifyCompact(signature ?? '', keys.toPublicJwks(), { detachedPayload: body, maxAgeSeconds: 300 }).then(() => (verified = true));
      return { status: 200, body: { decision: 'approve' } };
    };
    const decision = await requestDecision(issuerWith(url, 'decline'), REQUEST, { signingKey, timeoutMs: 2000 });
    expect(decision).toEqual({ decision: 'approve', source: 'issuer', expiryResult: 'not_checked', cvv2Result: 'not_checked' });
    await new Promise((r) => setTimeout(r, 50));
    expect(verified).toBe(true);
  });

  it.each([
    ['a 503', () => ({ status: 503 }), 'http_status'],
    ['a malformed decision', () => ({ status: 200, body: { decision: 'maybe' } }), 'invalid_response'],
    ['no answer in time', () => ({ status: 200, hang: true }), 'timeout'],
  ])('falls back to the stand-in decision on %s', async (_name, reply, failure) => {
    answer = reply;
    const decision = await requestDecision(issuerWith(url, 'step_up'), REQUEST, { signingKey, timeoutMs: 200 });
    expect(decision).toMatchObject({ decision: 'step_up', source: 'stand_in', failure, reasonCode: 'issuer_unavailable' });
    expect(decision.idvMethods?.length).toBeGreaterThan(0);
  });

  it('uses the stand-in decision when the issuer has no decision endpoint', async () => {
    expect(await requestDecision(issuerWith(undefined, 'decline'), REQUEST, { signingKey, timeoutMs: 200 })).toMatchObject({
      decision: 'decline',
      source: 'stand_in',
      failure: 'no_decision_url',
    });
  });

  it.each([
    [{ decision: 'step_up', idvMethods: [] }, undefined],
    [{ decision: 'step_up', idvMethods: [{ id: 'x', type: 'pigeon' }] }, undefined],
    [{ decision: 'decline', reasonCode: 'Card Blocked' }, { decision: 'decline', expiryResult: 'not_checked', cvv2Result: 'not_checked' }],
    [
      { decision: 'step_up', idvMethods: [{ id: 'sms1', type: 'sms', maskedDestination: '+86 ***' }] },
      { decision: 'step_up', idvMethods: [{ id: 'sms1', type: 'sms', maskedDestination: '+86 ***' }], expiryResult: 'not_checked', cvv2Result: 'not_checked' },
    ],
    [{ decision: 'approve', expiryResult: 'match', cvv2Result: 'no_match' }, { decision: 'approve', expiryResult: 'match', cvv2Result: 'no_match' }],
    [{ decision: 'approve', expiryResult: 'yes', cvv2Result: 'MATCH' }, { decision: 'approve', expiryResult: 'not_checked', cvv2Result: 'not_checked' }],
  ])('parses issuer answer %j as %j', (body, want) => {
    expect(parseDecision(body)).toEqual(want);
  });

  it('sends PAN, expiry and CVV2 only as a JWE to the issuer enc key, and nothing of them without one', async () => {
    const bank = KeySet.create();
    const encKey = await bank.generate('RSA-OAEP-256', { kid: 'bank-enc-1' });
    const bodies: string[] = [];
    answer = (body) => {
      bodies.push(body);
      return { status: 200, body: { decision: 'approve', expiryResult: 'match', cvv2Result: 'match' } };
    };
    const card = { pan: Pan.of('6213001234567897'), expMonth: 12, expYear: 2031, cvv2: Cvv2.of('123') };
    const withKey = { ...issuerWith(url, 'decline'), jwks: { keys: [encKey.toPublicJwk() as unknown as NonNullable<Issuer['jwks']>['keys'][number]] } };
    expect(await requestDecision(withKey, REQUEST, { signingKey, timeoutMs: 2000 }, card)).toMatchObject({ decision: 'approve', cvv2Result: 'match' });
    await requestDecision(issuerWith(url, 'decline'), REQUEST, { signingKey, timeoutMs: 2000 }, card);

    const [sent, withoutKey] = bodies.map((b) => JSON.parse(b) as Record<string, unknown>);
    const { value } = await decryptJson(sent?.encryptedCard as string, bank, { algorithms: ['RSA-OAEP-256'] });
    expect(value).toEqual({ pan: '6213001234567897', expMonth: 12, expYear: 2031, cvv2: '123' });
    expect(withoutKey?.encryptedCard).toBeUndefined();
    for (const body of bodies) expect(body).not.toMatch(/6213001234567897|"cvv2"|2031/);
  });
});

describe('issuer gateway: the card-verification rules', () => {
  const of = (d: Partial<IssuerDecision>): IssuerDecision => ({ decision: 'approve', source: 'issuer', ...d });
  it.each([
    ['an approval with the CVV2 checked stands', of({ cvv2Result: 'match', expiryResult: 'match' }), 'decided', 'approve'],
    ['an approval with the CVV2 not checked becomes a step-up', of({ cvv2Result: 'not_checked', expiryResult: 'match' }), 'decided', 'step_up'],
    ['an approval without results becomes a step-up', of({}), 'decided', 'step_up'],
    ['a stand-in approval becomes a step-up', of({ source: 'stand_in', reasonCode: 'issuer_unavailable' }), 'decided', 'step_up'],
    ['a wrong expiry fails, whatever the decision', of({ expiryResult: 'no_match', cvv2Result: 'match' }), 'verification_failed', 'approve'],
    ['a wrong CVV2 fails', of({ decision: 'decline', cvv2Result: 'no_match' }), 'verification_failed', 'decline'],
    ['a decline stays a decline', of({ decision: 'decline', cvv2Result: 'match' }), 'decided', 'decline'],
  ])('%s', (_name, decision, outcome, effective) => {
    const verified = applyCardVerification(decision);
    expect(verified.outcome).toBe(outcome);
    expect(verified.decision.decision).toBe(effective);
    if (effective === 'step_up') expect(verified.decision.idvMethods?.length).toBeGreaterThan(0);
  });
});
