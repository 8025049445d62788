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

  it('limits the token endpoint per client id, even with the right secret', async () => {
    const target = await createTestClient(tsp, { role: 'admin' });
    const call = () => request(tsp.url).post('/oauth2/token').type('form').set('Authorization', basicAuth(target.clientId, target.clientSecret)).send('grant_type=client_credentials');
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(200);
    expectRateLimited(await call(), '"auth";q=2;w=60');
  });

  it('limits the token endpoint per IP across client ids (bounds secret guessing)', async () => {
    // So far this file made 6 token requests from 127.0.0.1; the IP quota is 8.
    const guess = (n: number) =>
      request(tsp.url).post('/oauth2/token').type('form').set('Authorization', basicAuth(`cli_Guess${String(n).padStart(15, '0')}`, 'x'.repeat(43))).send('grant_type=client_credentials');
    expect((await guess(1)).status).toBe(401);
    expect((await guess(2)).status).toBe(401);
    expectRateLimited(await guess(3), '"auth-ip";q=8;w=60');
  });
});
