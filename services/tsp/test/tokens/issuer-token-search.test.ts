import { bearer, createTestClient, createTestIssuer, tokenFor, type Issuer, type TestClient } from '../../../../test/support/clients';
import { encryptCardFor, provisionBody, startProvisioningWorld, testPan, type ProvisioningWorld } from '../../../../test/support/issuer-sim-harness';

/*
 * The issuer's token search, one token, and the operators' token BIN usage (issue 12, the
 * token console's API), against a real TSP, Postgres and the issuer simulator: every filter
 * finds exactly the right tokens and only the caller's; bad combinations are problems with a
 * `code`; BIN usage follows tokens being created and deleted.
 */

const YEAR = new Date().getUTCFullYear();
/** `MM/YY`, URL-encoded as URLSearchParams does (the contract refuses a raw `/` in a query value). */
const expiry = (month: number, year: number) => encodeURIComponent(`${String(month).padStart(2, '0')}/${String(year % 100).padStart(2, '0')}`);

type Token = { tokenRef: string; status: string; card: { cardRef: string; panLast4: string }; walletAccountId: string; trid: string };

/** A Luhn-valid test PAN of `prefix` ending with exactly `last4` (drawn until it does). */
function panEndingWith(prefix: string, last4: string): string {
  for (;;) {
    const pan = testPan(prefix, last4.slice(0, 3));
    if (pan.endsWith(last4)) return pan;
  }
}

describe('the issuer searches its tokens (console API)', () => {
  let w: ProvisioningWorld;
  let otherIssuer: Issuer;
  let otherIssuerToken: string;
  let wallet2: TestClient;
  let wallet2Token: string;
  let adminToken: string;
  const pans: string[] = [];
  // Card X (two tokens of wallet 1), card Y (same last 4, other expiry; wallet 2), card Z of another issuer (same last 4 and expiry as X).
  const t: Record<'x1' | 'x2' | 'y1' | 'z1', Token> = {} as never;
  let last4: string;

  async function provision(pan: string, expYear: number, walletToken: string, walletAccountId: string): Promise<Token> {
    pans.push(pan);
    const encryptedCard = await encryptCardFor(w.tsp.url, { pan, expMonth: 6, expYear, cvv2: '123' });
    const res = await fetch(`${w.tsp.url}/v1/tokens`, {
      method: 'POST',
      headers: { ...bearer(walletToken), 'content-type': 'application/json' },
      body: JSON.stringify(provisionBody(encryptedCard, { walletAccountId })),
    });
    const token = (await res.json()) as Token;
    expect(res.status).toBe(201);
    return token;
  }

  async function get(path: string, token = w.issuerToken): Promise<{ status: number; body: any; text: string }> {
    const res = await fetch(`${w.tsp.url}${path}`, { headers: bearer(token) });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text), text };
  }

  const refs = (body: { data: Token[] }) => body.data.map((x) => x.tokenRef).sort();

  beforeAll(async () => {
    w = await startProvisioningWorld({ standInDecision: 'approve' });
    otherIssuer = await createTestIssuer(w.tsp, { decisionUrl: `${w.sim.url}/decisions`, webhookUrl: `${w.sim.url}/webhooks`, jwks: w.sim.publicJwks });
    const otherClient = await createTestClient(w.tsp, { role: 'issuer', issuerId: otherIssuer.issuerId });
    wallet2 = await createTestClient(w.tsp, { role: 'wallet' });
    const admin = await createTestClient(w.tsp, { role: 'admin' });
    [otherIssuerToken, wallet2Token, adminToken] = await Promise.all([tokenFor(w.tsp, otherClient), tokenFor(w.tsp, wallet2), tokenFor(w.tsp, admin)]);

    const panX = testPan(w.cardPrefix, '234');
    last4 = panX.slice(-4);
    t.x1 = await provision(panX, YEAR + 3, w.walletToken, 'wa_console_1');
    t.x2 = await provision(panX, YEAR + 3, w.walletToken, 'wa_console_2');
    t.y1 = await provision(panEndingWith(w.cardPrefix, last4), YEAR + 4, wallet2Token, 'wa_console_1');
    t.z1 = await provision(panEndingWith(otherIssuer.cardBinRanges[0]!.prefix, last4), YEAR + 3, w.walletToken, 'wa_console_1');
    expect(new Set([t.x1.card.cardRef, t.x2.card.cardRef])).toEqual(new Set([t.x1.card.cardRef]));
    expect(t.y1.card.cardRef).not.toBe(t.x1.card.cardRef);
  }, 60_000);

  afterAll(async () => {
    await w?.close();
  });

  it('finds tokens by last 4 + expiry of the card, only of that card and only the caller\'s', async () => {
    const x = await get(`/v1/issuer/tokens?panLast4=${last4}&cardExpiry=${expiry(6, YEAR + 3)}`);
    expect(x.status).toBe(200);
    expect(refs(x.body)).toEqual([t.x1.tokenRef, t.x2.tokenRef].sort());
    const y = await get(`/v1/issuer/tokens?panLast4=${last4}&cardExpiry=${expiry(6, YEAR + 4)}`);
    expect(refs(y.body)).toEqual([t.y1.tokenRef]);
    // The other bank, same last 4 and expiry: only its own token.
    const z = await get(`/v1/issuer/tokens?panLast4=${last4}&cardExpiry=${expiry(6, YEAR + 3)}`, otherIssuerToken);
    expect(refs(z.body)).toEqual([t.z1.tokenRef]);
    const none = await get(`/v1/issuer/tokens?panLast4=${last4}&cardExpiry=${expiry(7, YEAR + 3)}`);
    expect(none.body).toEqual({ data: [], nextCursor: null });
    for (const res of [x, y, z]) for (const pan of pans) expect(res.text).not.toContain(pan);
  });

  it('finds a token by its reference, and nothing for another issuer\'s reference', async () => {
    expect(refs((await get(`/v1/issuer/tokens?tokenRef=${t.x2.tokenRef}`)).body)).toEqual([t.x2.tokenRef]);
    expect((await get(`/v1/issuer/tokens?tokenRef=${t.z1.tokenRef}`)).body).toEqual({ data: [], nextCursor: null });
  });

  it('finds tokens by wallet account and by token requestor, within the caller\'s cards', async () => {
    expect(refs((await get('/v1/issuer/tokens?walletAccountId=wa_console_1')).body)).toEqual([t.x1.tokenRef, t.y1.tokenRef].sort());
    expect(refs((await get('/v1/issuer/tokens?walletAccountId=wa_console_2')).body)).toEqual([t.x2.tokenRef]);
    expect(refs((await get(`/v1/issuer/tokens?trid=${wallet2.client.trid}`)).body)).toEqual([t.y1.tokenRef]);
    expect(refs((await get(`/v1/issuer/tokens?trid=${w.wallet.client.trid}`)).body)).toEqual([t.x1.tokenRef, t.x2.tokenRef].sort());
  });

  it('finds tokens by card reference and combines filters with AND', async () => {
    expect(refs((await get(`/v1/issuer/tokens?cardRef=${t.x1.card.cardRef}`)).body)).toEqual([t.x1.tokenRef, t.x2.tokenRef].sort());
    expect(refs((await get(`/v1/issuer/tokens?cardRef=${t.x1.card.cardRef}&walletAccountId=wa_console_2`)).body)).toEqual([t.x2.tokenRef]);
    expect(refs((await get(`/v1/issuer/tokens?walletAccountId=wa_console_1&panLast4=${last4}&cardExpiry=${expiry(6, YEAR + 4)}`)).body)).toEqual([t.y1.tokenRef]);
    expect(refs((await get(`/v1/issuer/tokens?tokenRef=${t.x1.tokenRef}&walletAccountId=wa_console_2`)).body)).toEqual([]);
    expect(refs((await get(`/v1/issuer/tokens?trid=${wallet2.client.trid}&status=SUSPENDED`)).body)).toEqual([]);
    // Another issuer's card is not found (no existence oracle), as before.
    const foreign = await get(`/v1/issuer/tokens?cardRef=${t.z1.card.cardRef}`);
    expect({ status: foreign.status, code: foreign.body.code }).toEqual({ status: 404, code: 'card_not_found' });
  });

  it('pages a filtered search, and refuses its cursor with other filters', async () => {
    const first = await get('/v1/issuer/tokens?walletAccountId=wa_console_1&limit=1');
    expect(first.body.data).toHaveLength(1);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await get(`/v1/issuer/tokens?walletAccountId=wa_console_1&limit=1&cursor=${first.body.nextCursor}`);
    expect([...refs(first.body), ...refs(second.body)].sort()).toEqual([t.x1.tokenRef, t.y1.tokenRef].sort());
    expect(second.body.nextCursor).toBeNull();
    const foreign = await get(`/v1/issuer/tokens?walletAccountId=wa_console_2&limit=1&cursor=${first.body.nextCursor}`);
    expect({ status: foreign.status, code: foreign.body.code }).toEqual({ status: 400, code: 'cursor_invalid' });
  });

  it.each([
    ['panLast4 without cardExpiry', `panLast4=1234`, '/query/cardExpiry'],
    ['cardExpiry without panLast4', `cardExpiry=06%2F31`, '/query/panLast4'],
    ['an expiry not in MM/YY form', `panLast4=1234&cardExpiry=6%2F2031`, '/query/cardExpiry'],
    ['a month 13', `panLast4=1234&cardExpiry=13%2F31`, '/query/cardExpiry'],
    ['an unencoded slash', `panLast4=1234&cardExpiry=06/31`, '/query/cardExpiry'],
    ['a last 4 of five digits', `panLast4=12345&cardExpiry=06%2F31`, '/query/panLast4'],
    ['a malformed token reference', `tokenRef=nope`, '/query/tokenRef'],
    ['an unknown filter', `pan=1234`, '/query/pan'],
  ])('answers 400 validation_failed for %s', async (_name, query, path) => {
    const res = await get(`/v1/issuer/tokens?${query}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'validation_failed', status: 400 });
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('reads one of its tokens with card metadata, never the PAN; another issuer\'s is token_not_found', async () => {
    const own = await get(`/v1/issuer/tokens/${t.x1.tokenRef}`);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({
      tokenRef: t.x1.tokenRef,
      status: 'ACTIVE',
      walletAccountId: 'wa_console_1',
      assuranceMethod: '13',
      domain: { tokenLocation: '02' },
      device: { type: 'phone' },
      card: { cardRef: t.x1.card.cardRef, panLast4: last4, expiry: { month: 6, year: YEAR + 3 }, issuerId: w.issuer.issuerId },
    });
    expect(own.body.par).toEqual(expect.any(String));
    for (const pan of pans) expect(own.text).not.toContain(pan);

    for (const path of [`/v1/issuer/tokens/${t.z1.tokenRef}`, '/v1/issuer/tokens/tok_doesNotExist00000000']) {
      const res = await get(path);
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 404, code: 'token_not_found' });
    }
    // The same answer for the other issuer's view of this issuer's token: no existence oracle.
    const cross = await get(`/v1/issuer/tokens/${t.x1.tokenRef}`, otherIssuerToken);
    expect({ status: cross.status, code: cross.body.code }).toEqual({ status: 404, code: 'token_not_found' });
    // A wallet (no issuer:tokens scope) cannot use the issuer's view.
    const wallet = await get(`/v1/issuer/tokens/${t.x1.tokenRef}`, w.walletToken);
    expect({ status: wallet.status, code: wallet.body.code }).toEqual({ status: 403, code: 'insufficient_scope' });
  });

  it('reports token BIN usage that follows tokens being created and deleted', async () => {
    const usage = async (issuerId: string) => (await get(`/v1/admin/issuers/${issuerId}/token-bin-usage`, adminToken)).body.data;
    const range = w.issuer.tokenBinRanges[0]!;
    // 16 digits, a 6-digit prefix and the Luhn check digit leave 9 free digits.
    expect(await usage(w.issuer.issuerId)).toEqual([{ prefix: range.prefix, tokenLength: 16, capacity: 1e9, allocated: 3, liveTokens: 3 }]);
    expect(await usage(otherIssuer.issuerId)).toEqual([{ prefix: otherIssuer.tokenBinRanges[0]!.prefix, tokenLength: 16, capacity: 1e9, allocated: 1, liveTokens: 1 }]);

    const deleted = await fetch(`${w.tsp.url}/v1/issuer/cards/${t.x1.card.cardRef}/delete`, {
      method: 'POST',
      headers: { ...bearer(w.issuerToken), 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'account_closed', tokenRefs: [t.x2.tokenRef] }),
    });
    expect(deleted.status).toBe(200);
    const extra = await provision(testPan(w.cardPrefix, '567'), YEAR + 2, wallet2Token, 'wa_console_3');
    expect(extra.status).toBe('ACTIVE');
    // Numbers are never reused: a deletion lowers the live tokens, not the allocations.
    expect(await usage(w.issuer.issuerId)).toEqual([{ prefix: range.prefix, tokenLength: 16, capacity: 1e9, allocated: 4, liveTokens: 3 }]);
    expect((await get(`/v1/issuer/tokens?tokenRef=${t.x2.tokenRef}&status=DELETED`)).body.data).toHaveLength(1);
  });

  it('refuses to remove a token BIN range that still has live tokens (bin_range_in_use), allows an empty one', async () => {
    const patch = async (tokenBinRanges: Array<{ prefix: string; tokenLength: number }>) => {
      const res = await fetch(`${w.tsp.url}/v1/admin/issuers/${w.issuer.issuerId}`, {
        method: 'PATCH',
        headers: { ...bearer(adminToken), 'content-type': 'application/json' },
        body: JSON.stringify({ tokenBinRanges }),
      });
      return { status: res.status, body: (await res.json()) as { code?: string; tokenBinRanges?: unknown[] } };
    };
    const live = w.issuer.tokenBinRanges[0]!;
    const spare = { prefix: '628897', tokenLength: 16 };
    const swapped = await patch([spare]);
    expect({ status: swapped.status, code: swapped.body.code }).toEqual({ status: 409, code: 'bin_range_in_use' });
    // Nothing half-written: the issuer still has only its live range.
    expect((await get(`/v1/admin/issuers/${w.issuer.issuerId}/token-bin-usage`, adminToken)).body.data.map((r: { prefix: string }) => r.prefix)).toEqual([live.prefix]);
    expect((await patch([{ prefix: live.prefix, tokenLength: live.tokenLength }, spare])).status).toBe(200);
    expect((await patch([{ prefix: live.prefix, tokenLength: live.tokenLength }])).status).toBe(200);
  });

  it('lists every token BIN range of an issuer, and refuses unknown issuers and non-operators', async () => {
    const twoRanges = await createTestIssuer(w.tsp, { tokenBinRanges: [{ prefix: '62889901', tokenLength: 19 }, { prefix: '628898', tokenLength: 16 }] });
    const res = await get(`/v1/admin/issuers/${twoRanges.issuerId}/token-bin-usage`, adminToken);
    expect(res.body).toEqual({
      data: [
        { prefix: '62889901', tokenLength: 19, capacity: 1e10, allocated: 0, liveTokens: 0 },
        { prefix: '628898', tokenLength: 16, capacity: 1e9, allocated: 0, liveTokens: 0 },
      ],
    });
    const unknown = await get('/v1/admin/issuers/iss_doesNotExist00000000/token-bin-usage', adminToken);
    expect({ status: unknown.status, code: unknown.body.code }).toEqual({ status: 404, code: 'issuer_not_found' });
    const issuer = await get(`/v1/admin/issuers/${w.issuer.issuerId}/token-bin-usage`);
    expect({ status: issuer.status, code: issuer.body.code }).toEqual({ status: 403, code: 'insufficient_scope' });
  });
});
