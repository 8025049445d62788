import request from 'supertest';
import { bearer, createTestParties, tokenFor, type TestParties } from '../../../../test/support/clients';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';
import { createTokenFixture } from '../payments/payment-fixtures';

/**
 * The wallet's token views carry the funding card's metadata, read by the token query itself
 * (one round trip: tokens.repository `findByRefWithCard` and the list pages): the same card a
 * separate card query gave, for a single token and for every token of a page.
 */
let tsp: TestTsp;
let parties: TestParties;
let walletAuth: { Authorization: string };

beforeAll(async () => {
  tsp = await startTestTsp();
  parties = await createTestParties(tsp);
  walletAuth = bearer(await tokenFor(tsp, parties.wallet));
}, 180_000);

afterAll(async () => {
  await tsp?.services.identity.close();
  await tsp?.close();
});

const newToken = () => createTokenFixture(tsp, parties.issuer, { trid: parties.wallet.client.trid!, requestorClientId: parties.wallet.clientId });

describe('token views with their card, in one query', () => {
  it('shows the funding card of one token and of every token in a list page', async () => {
    const tokens = [await newToken(), await newToken(), await newToken()];
    const cardOf = (t: (typeof tokens)[number]) => expect.objectContaining({ cardRef: t.cardRef, panLast4: t.pan.slice(-4), expiry: { month: 11, year: 2032 }, issuerId: parties.issuer.issuerId });

    const one = await request(tsp.url).get(`/v1/tokens/${tokens[1]!.tokenRef}`).set(walletAuth);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ tokenRef: tokens[1]!.tokenRef, status: 'ACTIVE' });
    expect(one.body.card).toEqual(cardOf(tokens[1]!));

    // Pages of 2: both pages carry each token's own card.
    const seen = new Map<string, unknown>();
    let cursor: string | null = null;
    do {
      const page: request.Response = await request(tsp.url)
        .get(`/v1/tokens?walletAccountId=wa_payments&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        .set(walletAuth);
      expect(page.status).toBe(200);
      for (const t of page.body.data as Array<{ tokenRef: string; card: unknown }>) seen.set(t.tokenRef, t.card);
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    for (const t of tokens) expect(seen.get(t.tokenRef)).toEqual(cardOf(t));
  });

  it("answers token_not_found for another requestor's token and an unknown one", async () => {
    const token = await newToken();
    const other = await createTestParties(tsp);
    const otherAuth = bearer(await tokenFor(tsp, other.wallet));
    expect((await request(tsp.url).get(`/v1/tokens/${token.tokenRef}`).set(otherAuth)).body.code).toBe('token_not_found');
    expect((await request(tsp.url).get('/v1/tokens/tok_unknown0000000000000000').set(walletAuth)).body.code).toBe('token_not_found');
  });
});
