import { compactDecrypt, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import request from 'supertest';
import { sql } from 'kysely';
import {
  bearer,
  createTestClient,
  createTestParties,
  tokenFor,
  type TestClient,
  type TestParties,
} from '../../../../test/support/clients';
import { dataKeysRepository } from '../../src/store/data-keys.repository';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';
import { auditEntriesOf, createTokenFixture, type TokenFixture, type TokenOptions } from './payment-fixtures';

const MERCHANT = '898310048160001';
const OTHER_MERCHANT = 'MERCHANT-B-0002';
const UNSERVED_MERCHANT = 'MERCHANT-Z-9999';
const COF_MERCHANT = 'COF-SHOP-0001';

const PURCHASE = { amount: 12800, currency: 'CNY', merchantId: MERCHANT, channel: 'nfc', unpredictableNumber: '9A3F01C7' } as const;

let tsp: TestTsp;
let parties: TestParties;
let acquirer: TestClient;
let rsaAcquirer: TestClient;
let rsaPrivateKey: CryptoKey;
let cofMerchant: TestClient;
const accessTokens = new Map<string, string>();
const pans: string[] = [];

async function auth(client: TestClient): Promise<{ Authorization: string }> {
  let token = accessTokens.get(client.clientId);
  if (!token) accessTokens.set(client.clientId, (token = await tokenFor(tsp, client)));
  return bearer(token);
}

async function walletToken(options: Partial<TokenOptions> = {}): Promise<TokenFixture> {
  const token = await createTokenFixture(tsp, parties.issuer, {
    trid: parties.wallet.client.trid!,
    requestorClientId: parties.wallet.clientId,
    ...options,
  });
  pans.push(token.pan);
  return token;
}

async function credentialsFor(token: TokenFixture, body: Record<string, unknown> = PURCHASE, client: TestClient = parties.wallet) {
  const res = await request(tsp.url).post(`/v1/tokens/${token.tokenRef}/cryptograms`).set(await auth(client)).send(body);
  expect(res.status).toBe(201);
  return res.body as {
    tokenPan: string;
    tokenExpiry: { month: number; year: number };
    cryptogram: string;
    atc: number;
    transaction: Record<string, unknown>;
  };
}

function detokenizeBody(credentials: Awaited<ReturnType<typeof credentialsFor>>, changes: Record<string, unknown> = {}) {
  return {
    tokenPan: credentials.tokenPan,
    tokenExpiry: credentials.tokenExpiry,
    cryptogram: credentials.cryptogram,
    atc: credentials.atc,
    transaction: { ...credentials.transaction },
    ...changes,
  };
}

async function detokenize(body: unknown, client: TestClient = acquirer) {
  return request(tsp.url).post('/v1/detokenize').set(await auth(client)).send(body as object);
}

async function decryptWithSharedKey(jwe: string, client: TestClient): Promise<Record<string, unknown>> {
  const key = await importJWK(client.responseEncryptionKey as JWK, 'A256GCMKW');
  const { plaintext, protectedHeader } = await compactDecrypt(jwe, key);
  expect(protectedHeader).toMatchObject({ alg: 'A256GCMKW', enc: 'A256GCM', kid: client.responseEncryptionKey!.kid });
  return JSON.parse(new TextDecoder().decode(plaintext)) as Record<string, unknown>;
}

/** A refusal: its status and code, no card data in the body, and a `denied` audit entry with the code. */
async function expectRefused(res: request.Response, status: number, code: string, tokenRef?: string): Promise<void> {
  expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
  for (const pan of pans) expect(res.text).not.toContain(pan);
  const entries = await auditEntriesOf(tsp, res.headers['x-request-id'] as string);
  expect(entries).toEqual([
    expect.objectContaining({
      action: 'detokenize',
      outcome: 'denied',
      details: expect.objectContaining({ code, ...(tokenRef ? { tokenRef } : {}) }),
    }),
  ]);
}

beforeAll(async () => {
  tsp = await startTestTsp();
  parties = await createTestParties(tsp);
  acquirer = await createTestClient(tsp, {
    role: 'acquirer',
    merchantIds: [MERCHANT, OTHER_MERCHANT, COF_MERCHANT],
    responseEncryption: { alg: 'A256GCMKW' },
  });
  const rsa = await generateKeyPair('RSA-OAEP-256', { extractable: true });
  rsaPrivateKey = rsa.privateKey as CryptoKey;
  const publicJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'acq-rsa-1', use: 'enc', alg: 'RSA-OAEP-256' };
  rsaAcquirer = await createTestClient(tsp, {
    role: 'acquirer',
    merchantIds: [MERCHANT],
    responseEncryption: { alg: 'RSA-OAEP-256' },
    jwks: { keys: [publicJwk as never] },
  });
  cofMerchant = await createTestClient(tsp, { role: 'cof_merchant', merchantIds: [COF_MERCHANT] });
});

afterAll(async () => {
  // Stop the registry listener first: it would otherwise reconnect to the dropped database.
  await tsp?.services.identity.close();
  await tsp?.close();
});

describe('checkout: token → cryptogram → detokenize', () => {
  it('gives the acquirer the original PAN and expiry in a JWE only it can open (A256GCMKW, checked with panva jose)', async () => {
    const token = await walletToken();
    const credentials = await credentialsFor(token);
    const res = await detokenize(detokenizeBody(credentials));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({
      tokenRef: token.tokenRef,
      par: token.par,
      trid: parties.wallet.client.trid,
      assuranceMethod: '13',
      tokenStatus: 'ACTIVE',
      decisionId: expect.stringMatching(/^dec_/),
    });
    expect(res.text).not.toContain(token.pan);
    await expect(decryptWithSharedKey(res.body.encryptedCard, acquirer)).resolves.toEqual({ pan: token.pan, expMonth: 11, expYear: 2032 });

    const entries = await auditEntriesOf(tsp, res.headers['x-request-id'] as string);
    expect(entries).toEqual([
      expect.objectContaining({
        action: 'detokenize',
        outcome: 'success',
        subject_id: token.tokenRef,
        actor: { type: 'client', clientId: acquirer.clientId },
        details: expect.objectContaining({ tokenRef: token.tokenRef, merchantId: MERCHANT, atc: credentials.atc, decisionId: res.body.decisionId }),
      }),
    ]);
  });

  it('encrypts with RSA-OAEP-256 to an acquirer that registered a public key', async () => {
    const token = await walletToken();
    const res = await detokenize(detokenizeBody(await credentialsFor(token)), rsaAcquirer);
    expect(res.status).toBe(200);
    const { plaintext, protectedHeader } = await compactDecrypt(res.body.encryptedCard, rsaPrivateKey);
    expect(protectedHeader).toMatchObject({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: 'acq-rsa-1' });
    expect(JSON.parse(new TextDecoder().decode(plaintext))).toEqual({ pan: token.pan, expMonth: 11, expYear: 2032 });
  });

  it('hands out strictly increasing ATCs with 27-character cryptograms bound to each transaction', async () => {
    const token = await walletToken();
    const first = await credentialsFor(token);
    const second = await credentialsFor(token);
    expect([first.atc, second.atc]).toEqual([1, 2]);
    expect(first.cryptogram).toMatch(/^[A-Za-z0-9_-]{27}$/);
    expect(second.cryptogram).not.toBe(first.cryptogram);
    expect(second.transaction).toEqual({ ...PURCHASE, transactionType: 'purchase' });
  });

  it('lets an ATC issued later be used before an earlier one (each once)', async () => {
    const token = await walletToken();
    const first = await credentialsFor(token);
    const second = await credentialsFor(token);
    expect((await detokenize(detokenizeBody(second))).status).toBe(200);
    expect((await detokenize(detokenizeBody(first))).status).toBe(200);
  });
});

describe('detokenize costs one read and one write (DESIGN §8)', () => {
  it("reads the card's data key with the token when the key is not cached: no statement of its own", async () => {
    // The caller's own key is opened once per process (its own cache): warm it first.
    expect((await detokenize(detokenizeBody(await credentialsFor(await walletToken())))).status).toBe(200);
    const token = await walletToken();
    const body = detokenizeBody(await credentialsFor(token));
    // Production sees most cards for the first time in a process (a bounded cache, millions of cards).
    tsp.services.vault.dataKeys.cache.clear();
    const reads = jest.spyOn(dataKeysRepository, 'find');
    try {
      const res = await detokenize(body);
      expect(res.status).toBe(200);
      await expect(decryptWithSharedKey(res.body.encryptedCard, acquirer)).resolves.toEqual({ pan: token.pan, expMonth: 11, expYear: 2032 });
      for (const c of reads.mock.calls) console.log('FINDCALL', c[1], new Error().stack);
      expect(reads).not.toHaveBeenCalled();
      expect(tsp.services.vault.dataKeys.cache.size).toBe(1);
    } finally {
      reads.mockRestore();
    }
  });
});

describe('detokenize refuses, with its code, and audits every refusal', () => {
  it('a wrong cryptogram: cryptogram_invalid', async () => {
    const token = await walletToken();
    const credentials = await credentialsFor(token);
    const forged = (credentials.cryptogram[0] === 'A' ? 'B' : 'A') + credentials.cryptogram.slice(1);
    await expectRefused(await detokenize(detokenizeBody(credentials, { cryptogram: forged })), 403, 'cryptogram_invalid', token.tokenRef);
  });

  it('an ATC never issued: cryptogram_invalid', async () => {
    const token = await walletToken();
    const credentials = await credentialsFor(token);
    await expectRefused(await detokenize(detokenizeBody(credentials, { atc: 999 })), 403, 'cryptogram_invalid', token.tokenRef);
  });

  it('a changed amount or currency: amount_mismatch', async () => {
    const token = await walletToken();
    const credentials = await credentialsFor(token);
    await expectRefused(
      await detokenize(detokenizeBody(credentials, { transaction: { ...credentials.transaction, amount: 12801 } })),
      403,
      'amount_mismatch',
      token.tokenRef,
    );
    await expectRefused(
      await detokenize(detokenizeBody(credentials, { transaction: { ...credentials.transaction, currency: 'USD' } })),
      403,
      'amount_mismatch',
      token.tokenRef,
    );
    // Refusals do not burn the cryptogram: the genuine transaction still goes through.
    expect((await detokenize(detokenizeBody(credentials))).status).toBe(200);
  });

  it('a changed merchant the acquirer also serves: cryptogram_invalid', async () => {
    const token = await walletToken();
    const credentials = await credentialsFor(token);
    const body = detokenizeBody(credentials, { transaction: { ...credentials.transaction, merchantId: OTHER_MERCHANT } });
    await expectRefused(await detokenize(body), 403, 'cryptogram_invalid', token.tokenRef);
  });

  it('a changed unpredictable number or transaction type: cryptogram_invalid', async () => {
    const token = await walletToken();
    const credentials = await credentialsFor(token);
    const un = detokenizeBody(credentials, { transaction: { ...credentials.transaction, unpredictableNumber: '00000000' } });
    await expectRefused(await detokenize(un), 403, 'cryptogram_invalid', token.tokenRef);
    const type = detokenizeBody(credentials, { transaction: { ...credentials.transaction, transactionType: 'refund' } });
    await expectRefused(await detokenize(type), 403, 'cryptogram_invalid', token.tokenRef);
  });

  it('a merchant the acquirer does not serve: domain_merchant_not_allowed', async () => {
    const token = await walletToken();
    const credentials = await credentialsFor(token, { ...PURCHASE, merchantId: UNSERVED_MERCHANT });
    await expectRefused(await detokenize(detokenizeBody(credentials)), 403, 'domain_merchant_not_allowed', token.tokenRef);
  });

  it('an acquirer outside a token domain restricted to other merchants: domain_merchant_not_allowed', async () => {
    const token = await walletToken({ merchantIds: [OTHER_MERCHANT] });
    const credentials = await credentialsFor(token, { ...PURCHASE, merchantId: OTHER_MERCHANT });
    await expectRefused(await detokenize(detokenizeBody(credentials), rsaAcquirer), 403, 'domain_merchant_not_allowed', token.tokenRef);
    const elsewhere = detokenizeBody(credentials, { transaction: { ...credentials.transaction, merchantId: MERCHANT } });
    await expectRefused(await detokenize(elsewhere), 403, 'domain_merchant_not_allowed', token.tokenRef);
  });

  it('a channel outside the token domain: domain_channel_not_allowed', async () => {
    const token = await walletToken({ channels: ['nfc'] });
    const credentials = await credentialsFor(token);
    const body = detokenizeBody(credentials, { transaction: { ...credentials.transaction, channel: 'ecom' } });
    await expectRefused(await detokenize(body), 403, 'domain_channel_not_allowed', token.tokenRef);
  });

  it('a channel in the domain but not the one the cryptogram was issued for: cryptogram_invalid', async () => {
    const token = await walletToken({ channels: ['nfc', 'ecom'] });
    const credentials = await credentialsFor(token);
    const body = detokenizeBody(credentials, { transaction: { ...credentials.transaction, channel: 'ecom' } });
    await expectRefused(await detokenize(body), 403, 'cryptogram_invalid', token.tokenRef);
  });

  it('a card-on-file token outside the cof channel: requestor_kind_not_allowed', async () => {
    const token = await createTokenFixture(tsp, parties.issuer, {
      trid: cofMerchant.client.trid!,
      requestorClientId: cofMerchant.clientId,
      channels: ['cof', 'ecom'],
      merchantIds: [COF_MERCHANT],
    });
    pans.push(token.pan);
    const ecom = await credentialsFor(token, { ...PURCHASE, merchantId: COF_MERCHANT, channel: 'ecom' }, cofMerchant);
    await expectRefused(await detokenize(detokenizeBody(ecom)), 403, 'requestor_kind_not_allowed', token.tokenRef);
    // In its own channel, a merchant-initiated transaction at its own merchant id goes through.
    const mit = await credentialsFor(token, { amount: 990, currency: 'CNY', merchantId: COF_MERCHANT, channel: 'cof', transactionType: 'mit' }, cofMerchant);
    const res = await detokenize(detokenizeBody(mit));
    expect(res.status).toBe(200);
    await expect(decryptWithSharedKey(res.body.encryptedCard, acquirer)).resolves.toMatchObject({ pan: token.pan });
  });

  it('a wrong token expiry: token_expiry_mismatch', async () => {
    const token = await walletToken();
    const credentials = await credentialsFor(token);
    await expectRefused(await detokenize(detokenizeBody(credentials, { tokenExpiry: { month: 1, year: 2031 } })), 403, 'token_expiry_mismatch', token.tokenRef);
  });

  it('an unknown token PAN: token_not_found', async () => {
    const token = await walletToken();
    const credentials = await credentialsFor(token);
    await expectRefused(await detokenize(detokenizeBody(credentials, { tokenPan: '6299000000000000' })), 404, 'token_not_found');
  });

  it.each([
    ['SUSPENDED', 409, 'token_not_active'],
    ['DELETED', 409, 'token_deleted'],
  ] as const)('a %s token: %s', async (status, httpStatus, code) => {
    const token = await walletToken();
    const credentials = await credentialsFor(token);
    await tsp.db.db.updateTable('tokens').set({ status }).where('token_ref', '=', token.tokenRef).execute();
    await expectRefused(await detokenize(detokenizeBody(credentials)), httpStatus, code, token.tokenRef);
  });

  it('an expired token: token_past_expiry', async () => {
    const token = await walletToken();
    const credentials = await credentialsFor(token);
    await tsp.db.db.updateTable('tokens').set({ token_exp_month: 1, token_exp_year: 2020 }).where('token_ref', '=', token.tokenRef).execute();
    const body = detokenizeBody(credentials, { tokenExpiry: { month: 1, year: 2020 } });
    await expectRefused(await detokenize(body), 409, 'token_past_expiry', token.tokenRef);
  });

  it('a cryptogram past its expiresAt: cryptogram_invalid', async () => {
    const token = await walletToken();
    const credentials = await credentialsFor(token);
    await sql`update cryptogram_issuances set expires_at = now() - interval '1 second' where token_ref = ${token.tokenRef}`.execute(tsp.db.db);
    await expectRefused(await detokenize(detokenizeBody(credentials)), 403, 'cryptogram_invalid', token.tokenRef);
  });

  it('a replayed ATC: atc_replayed', async () => {
    const token = await walletToken();
    const credentials = await credentialsFor(token);
    expect((await detokenize(detokenizeBody(credentials))).status).toBe(200);
    await expectRefused(await detokenize(detokenizeBody(credentials)), 409, 'atc_replayed', token.tokenRef);
  });

  it('concurrent uses of one cryptogram: exactly one succeeds, the others are atc_replayed', async () => {
    const token = await walletToken();
    const credentials = await credentialsFor(token);
    const body = detokenizeBody(credentials);
    const results = await Promise.all(Array.from({ length: 6 }, () => detokenize(body)));
    const granted = results.filter((r) => r.status === 200);
    expect(granted).toHaveLength(1);
    for (const refused of results.filter((r) => r.status !== 200)) await expectRefused(refused, 409, 'atc_replayed', token.tokenRef);
    const uses = await tsp.db.db
      .selectFrom('audit_entries')
      .select(['outcome'])
      .where('action', '=', 'detokenize')
      .where(sql<boolean>`details->>'tokenRef' = ${token.tokenRef}`)
      .execute();
    expect(uses.filter((u) => u.outcome === 'success')).toHaveLength(1);
  });

  it('risk rules (a very high amount): detokenize_declined with reason codes and the decision id', async () => {
    const token = await walletToken();
    const credentials = await credentialsFor(token, { ...PURCHASE, amount: 10_000_001 });
    const res = await detokenize(detokenizeBody(credentials));
    await expectRefused(res, 403, 'detokenize_declined', token.tokenRef);
    expect(res.body).toMatchObject({ reasonCodes: expect.arrayContaining(['amount_very_high']), decisionId: expect.stringMatching(/^dec_/) });
    const [entry] = await auditEntriesOf(tsp, res.headers['x-request-id'] as string);
    expect(entry!.details).toMatchObject({ decisionId: res.body.decisionId, reasonCodes: expect.arrayContaining(['amount_very_high']) });
  });

  it('a caller without the detokenize scope: insufficient_scope', async () => {
    const token = await walletToken();
    const res = await detokenize(detokenizeBody(await credentialsFor(token)), parties.wallet);
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 403, code: 'insufficient_scope' });
  });
});

describe('payment credentials refuse', () => {
  it.each([
    ['a channel outside the token domain', { channels: ['nfc'] }, { ...PURCHASE, channel: 'ecom' }, 403, 'domain_channel_not_allowed'],
    ['a merchant outside the token domain', { merchantIds: [OTHER_MERCHANT] }, PURCHASE, 403, 'domain_merchant_not_allowed'],
    ['a suspended token', { status: 'SUSPENDED' }, PURCHASE, 409, 'token_not_active'],
    ['a deleted token', { status: 'DELETED' }, PURCHASE, 409, 'token_deleted'],
    ['an expired token', { tokenExpiry: { month: 2, year: 2021 } }, PURCHASE, 409, 'token_past_expiry'],
  ] as const)('%s', async (_name, tokenOptions, body, status, code) => {
    const token = await walletToken(tokenOptions as Partial<TokenOptions>);
    const res = await request(tsp.url).post(`/v1/tokens/${token.tokenRef}/cryptograms`).set(await auth(parties.wallet)).send(body);
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
  });

  it("another requestor's token: cross_tenant_access; an unknown one: token_not_found", async () => {
    const token = await walletToken();
    const other = await request(tsp.url).post(`/v1/tokens/${token.tokenRef}/cryptograms`).set(await auth(cofMerchant)).send(PURCHASE);
    expect({ status: other.status, code: other.body.code }).toEqual({ status: 403, code: 'cross_tenant_access' });
    const missing = await request(tsp.url).post('/v1/tokens/tok_doesNotExist0000000/cryptograms').set(await auth(parties.wallet)).send(PURCHASE);
    expect({ status: missing.status, code: missing.body.code }).toEqual({ status: 404, code: 'token_not_found' });
  });
});

describe('card data stays out of logs and the audit log', () => {
  it('no funding PAN in the captured logs or any audit row', async () => {
    expect(pans.length).toBeGreaterThan(10);
    const logs = tsp.logs.text();
    const audit = await tsp.db.db.selectFrom('audit_entries').select(sql<string>`row_to_json(audit_entries)::text`.as('row')).execute();
    const auditText = audit.map((a) => a.row).join('\n');
    for (const pan of pans) {
      expect(logs).not.toContain(pan);
      expect(auditText).not.toContain(pan);
    }
  });
});
