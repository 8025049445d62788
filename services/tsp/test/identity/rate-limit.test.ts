import request from 'supertest';
import { loadOpenApiSpec } from '../../src/http/openapi-spec';
import { basicAuth, bearer, createTestClient, tokenFor, type TestClient } from '../../../../test/support/clients';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The contract's example detokenize body: valid, so the request reaches the rate limiter. */
function detokenizeExample(): unknown {
  const media = (loadOpenApiSpec() as Json).paths['/v1/detokenize'].post.requestBody.content['application/json'];
  return media.example ?? Object.values(media.examples as Json)[0].value;
}

function expectRateLimited(res: request.Response, policy: string) {
  expect(res.status).toBe(429);
  expect(res.body.code).toBe('rate_limited');
  expect(res.headers['ratelimit-policy']).toBe(policy);
  expect(res.headers.ratelimit).toMatch(/;r=0;t=\d+$/);
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
}

describe('rate limits per client and endpoint class', () => {
  let tsp: TestTsp;
  let wallet: TestClient;
  let otherWallet: TestClient;
  let acquirer: TestClient;
  beforeAll(async () => {
    tsp = await startTestTsp({
      OPENTSP_RATE_LIMIT_DEFAULT: '3/60',
      OPENTSP_RATE_LIMIT_HOT: '2/60',
      OPENTSP_RATE_LIMIT_AUTH: '2/60',
      OPENTSP_RATE_LIMIT_AUTH_IP: '8/60',
      // The test client connects from 127.0.0.1: one trusted proxy hop names the caller in X-Forwarded-For.
      OPENTSP_TRUST_PROXY: '1',
    });
    [wallet, otherWallet, acquirer] = await Promise.all([
      createTestClient(tsp, { role: 'wallet' }),
      createTestClient(tsp, { role: 'wallet' }),
      createTestClient(tsp, { role: 'acquirer', merchantIds: ['898310048160001'] }),
    ]);
  });
  afterAll(async () => {
    await tsp.services.identity.close();
    await tsp.close();
  });

  it('limits the default class per client with RateLimit headers, then 429 rate_limited', async () => {
    const token = await tokenFor(tsp, wallet);
    const first = await request(tsp.url).get('/v1/tokens').set(bearer(token));
    expect(first.headers['ratelimit-policy']).toBe('"default";q=3;w=60');
    expect(first.headers.ratelimit).toMatch(/^"default";r=2;t=\d+$/);
    await request(tsp.url).get('/v1/tokens').set(bearer(token));
    await request(tsp.url).get('/v1/tokens').set(bearer(token));
    expectRateLimited(await request(tsp.url).get('/v1/tokens').set(bearer(token)), '"default";q=3;w=60');
    // Another client has its own quota.
    const other = await request(tsp.url).get('/v1/tokens').set(bearer(await tokenFor(tsp, otherWallet)));
    expect(other.status).not.toBe(429);
  });

  it('gives the hot class (detokenize) its own in-memory budget', async () => {
    const token = await tokenFor(tsp, acquirer);
    const body = detokenizeExample() as object;
    for (let i = 0; i < 2; i++) {
      const res = await request(tsp.url).post('/v1/detokenize').set(bearer(token)).send(body);
      expect(res.headers['ratelimit-policy']).toBe('"hot";q=2;w=60');
    }
    expectRateLimited(await request(tsp.url).post('/v1/detokenize').set(bearer(token)).send(body), '"hot";q=2;w=60');
  });

  const tokenCall = (clientId: string, secret: string, source: string) =>
    request(tsp.url).post('/oauth2/token').type('form').set('X-Forwarded-For', source).set('Authorization', basicAuth(clientId, secret)).send('grant_type=client_credentials');

  it('counts failed logins per client id and source: the right secret still gets tokens while the id is hammered', async () => {
    const target = await createTestClient(tsp, { role: 'admin' });
    // The attacker (behind the trusted proxy, as 203.0.113.66) spends the failure budget of 2 …
    expect((await tokenCall(target.clientId, 'x'.repeat(43), '203.0.113.66')).status).toBe(401);
    expect((await tokenCall(target.clientId, 'x'.repeat(43), '203.0.113.66')).status).toBe(401);
    expectRateLimited(await tokenCall(target.clientId, 'x'.repeat(43), '203.0.113.66'), '"auth-failures";q=2;w=60');
    // … and is refused even with the right secret, from that source …
    expect((await tokenCall(target.clientId, target.clientSecret, '203.0.113.66')).status).toBe(429);
    // … while the client itself, from its own address, is not locked out, and successes are not counted.
    for (let i = 0; i < 4; i++) expect((await tokenCall(target.clientId, target.clientSecret, '198.51.100.7')).status).toBe(200);
  });

  it('limits token requests per source address across client ids (bounds floods)', async () => {
    const guess = (n: number) => tokenCall(`cli_Guess${String(n).padStart(15, '0')}`, 'x'.repeat(43), '192.0.2.9');
    for (let n = 0; n < 8; n++) expect((await guess(n)).status).toBe(401);
    expectRateLimited(await guess(8), '"auth-ip";q=8;w=60');
  });

});

describe('the token endpoint without a trusted proxy', () => {
  let tsp: TestTsp;
  beforeAll(async () => {
    tsp = await startTestTsp({ OPENTSP_RATE_LIMIT_AUTH: '2/60' });
  });
  afterAll(async () => {
    await tsp.services.identity.close();
    await tsp.close();
  });

  it('ignores X-Forwarded-For: a forged source does not reset the failure count', async () => {
    const target = await createTestClient(tsp, { role: 'admin' });
    const forged = (n: number) =>
      request(tsp.url).post('/oauth2/token').type('form').set('X-Forwarded-For', `203.0.113.${n}`).set('Authorization', basicAuth(target.clientId, 'x'.repeat(43))).send('grant_type=client_credentials');
    expect((await forged(1)).status).toBe(401);
    expect((await forged(2)).status).toBe(401);
    expectRateLimited(await forged(3), '"auth-failures";q=2;w=60');
  });
});
