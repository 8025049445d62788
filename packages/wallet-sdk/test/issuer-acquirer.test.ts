import { inspect } from 'node:util';
import { KeySet, decryptCompact, encryptCompact, generateOctKey } from '../../crypto/src';
import { AcquirerClient, IntegrationError, IssuerClient, NotFoundError, Pan, ValidationError, type RsaPrivateJwk } from '../src';
import { CREDENTIALS, problem, StandIn, tokenBody } from './support/stand-in';

const PAN = '6212345678901232';
const DETOKENIZE = {
  tokenPan: '6288123456789015',
  tokenExpiry: { month: 12, year: 2029 },
  cryptogram: 'AAECAwQFBgcICQoLDA0ODxAREhM',
  atc: 17,
  transaction: { amount: 12800, currency: 'CNY', merchantId: '898310048160001', channel: 'nfc' as const },
};

describe('acquirer detokenize', () => {
  let tsp: StandIn;
  beforeAll(async () => {
    tsp = await StandIn.start();
  });
  afterAll(() => tsp.close());

  const answerWith = (encryptedCard: string): void =>
    tsp.on('POST', '/v1/detokenize', () => ({
      status: 200,
      body: { tokenRef: 'tok_7Qm2vXk9LpR4sT8wZa1B', encryptedCard, par: 'U0017ZK4QH2M8XW5N3B6C9D1E0F2G', trid: '90000000001', assuranceMethod: '13', tokenStatus: 'ACTIVE', decisionId: 'dec_Hq2Wm8Rt4Yv6Zb1Nc3Xk' },
    }));

  it('decrypts an A256GCMKW answer into a redacting Pan', async () => {
    const oct = generateOctKey('acq-key-1');
    answerWith(await encryptCompact({ pan: PAN, expMonth: 12, expYear: 2029 }, oct, { alg: 'A256GCMKW' }));
    const acquirer = new AcquirerClient({ baseUrl: tsp.url, credentials: CREDENTIALS, responseKey: oct });
    const result = await acquirer.detokenize(DETOKENIZE);
    expect(result.card.pan).toBeInstanceOf(Pan);
    expect(result.card.pan.reveal()).toBe(PAN);
    expect(result.card).toMatchObject({ expMonth: 12, expYear: 2029 });
    expect(result).toMatchObject({ par: 'U0017ZK4QH2M8XW5N3B6C9D1E0F2G', decisionId: 'dec_Hq2Wm8Rt4Yv6Zb1Nc3Xk' });
    expect(result).not.toHaveProperty('encryptedCard');
    // Printing by mistake never shows the digits.
    for (const printed of [String(result.card.pan), `${result.card.pan}`, JSON.stringify(result), inspect(result, { depth: 5 })]) {
      expect(printed).not.toContain(PAN);
      expect(printed).toContain('[redacted]');
    }
    expect(result.card.pan.last4).toBe('1232');
  });

  it('decrypts an RSA-OAEP-256 answer with the private JWK', async () => {
    const keys = KeySet.create();
    await keys.generate('RSA-OAEP-256', { kid: 'acq-rsa-1' });
    const privateJwk = keys.toPrivateJson().keys[0] as unknown as RsaPrivateJwk;
    answerWith(await encryptCompact({ pan: PAN, expMonth: 1, expYear: 2030 }, keys.get('acq-rsa-1').toPublicJwk(), { alg: 'RSA-OAEP-256' }));
    const acquirer = new AcquirerClient({ baseUrl: tsp.url, credentials: CREDENTIALS, responseKey: privateJwk });
    const { card } = await acquirer.detokenize(DETOKENIZE);
    expect(card.pan.reveal()).toBe(PAN);
  });

  it('fails with one generic decryption_failed under the wrong key, with no card data', async () => {
    answerWith(await encryptCompact({ pan: PAN, expMonth: 12, expYear: 2029 }, generateOctKey('acq-key-1'), { alg: 'A256GCMKW' }));
    const acquirer = new AcquirerClient({ baseUrl: tsp.url, credentials: CREDENTIALS, responseKey: generateOctKey('acq-key-1') });
    const err = await acquirer.detokenize(DETOKENIZE).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrationError);
    expect(err).toMatchObject({ code: 'decryption_failed' });
    expect(inspect(err)).not.toContain(PAN);
  });
});

describe('issuer client', () => {
  let tsp: StandIn;
  let keys: KeySet;
  beforeAll(async () => {
    tsp = await StandIn.start();
    keys = KeySet.create();
    await keys.generate('ECDH-ES+A256KW', { kid: 'tsp-enc-1' });
    tsp.jwks = keys.toPublicJwks();
  });
  afterAll(() => tsp.close());

  it('registers a card encrypted like the wallet does, and creates a push receipt on the fly', async () => {
    const cards: unknown[] = [];
    const open = async (body: string): Promise<void> => {
      const { encryptedCard } = JSON.parse(body) as { encryptedCard: string };
      cards.push(JSON.parse((await decryptCompact(encryptedCard, keys, { algorithms: ['ECDH-ES+A256KW'] })).plaintext.toString()));
    };
    const card = { cardRef: 'card_3Jf8KdL2mN5pQ7rS9tUv', panLast4: '1232', expiry: { month: 12, year: 2029 }, issuerId: 'iss_1', createdAt: '2026-01-01T09:00:00Z', updatedAt: '2026-01-01T09:00:00Z' };
    tsp.on('POST', '/v1/issuer/cards', async (req) => (await open(req.body), { status: 201, body: card }));
    tsp.on('POST', '/v1/push-receipts', async (req) => (await open(req.body), { status: 201, body: { receiptId: 'pr_9XyZ2aB4cD6eF8gH0jK1' } }));
    const issuer = new IssuerClient({ baseUrl: tsp.url, credentials: CREDENTIALS });

    await expect(issuer.registerCard({ pan: PAN, expMonth: 12, expYear: 2029 }, { cardholderReference: 'cust-1' })).resolves.toEqual(card);
    await issuer.createPushReceipt({ card: { pan: PAN, expMonth: 12, expYear: 2029 } }, { trid: '90000000001', walletAccountId: 'wa_1' });
    expect(cards).toEqual([{ pan: PAN, expMonth: 12, expYear: 2029 }, { pan: PAN, expMonth: 12, expYear: 2029 }]);
    expect(JSON.parse(tsp.calls('/v1/push-receipts')[0]!.body)).toMatchObject({ trid: '90000000001', walletAccountId: 'wa_1' });
    expect(tsp.calls('/v1/push-receipts')[0]!.body).not.toContain(PAN);
  });

  it('suspends a card with a default reason and lists its tokens across pages', async () => {
    tsp.on('POST', '/v1/issuer/cards/card_3Jf8KdL2mN5pQ7rS9tUv/suspend', () => ({ status: 200, body: { cardRef: 'card_3Jf8KdL2mN5pQ7rS9tUv', tokens: [] } }));
    tsp.sequence('GET', '/v1/issuer/tokens', [
      { status: 200, body: { data: [tokenBody()], nextCursor: 'n1' } },
      { status: 200, body: { data: [tokenBody()], nextCursor: null } },
    ]);
    const issuer = new IssuerClient({ baseUrl: tsp.url, credentials: CREDENTIALS });
    await issuer.suspendCard('card_3Jf8KdL2mN5pQ7rS9tUv', { tokenRefs: ['tok_7Qm2vXk9LpR4sT8wZa1B'] });
    expect(JSON.parse(tsp.calls('/v1/issuer/cards/card_3Jf8KdL2mN5pQ7rS9tUv/suspend')[0]!.body)).toEqual({ reason: 'issuer_request', tokenRefs: ['tok_7Qm2vXk9LpR4sT8wZa1B'] });
    expect(await issuer.listCardTokens('card_3Jf8KdL2mN5pQ7rS9tUv').toArray()).toHaveLength(2);
    expect(tsp.calls('/v1/issuer/tokens')[1]!.query.get('cursor')).toBe('n1');
  });
  it('searches tokens with the console filters; a bad combination is a ValidationError', async () => {
    tsp.on('GET', '/v1/issuer/tokens', () => ({ status: 200, body: { data: [tokenBody()], nextCursor: null } }));
    const issuer = new IssuerClient({ baseUrl: tsp.url, credentials: CREDENTIALS });
    const before = tsp.received.length;
    expect(await issuer.searchTokens({ panLast4: '1232', cardExpiry: '12/29', walletAccountId: 'wa_8842a1c7', status: 'ACTIVE' }).toArray()).toHaveLength(1);
    const sent = tsp.received.slice(before).find((r) => r.path === '/v1/issuer/tokens')!;
    expect(Object.fromEntries(sent.query)).toEqual({ panLast4: '1232', cardExpiry: '12/29', walletAccountId: 'wa_8842a1c7', status: 'ACTIVE' });

    tsp.on('GET', '/v1/issuer/tokens', () => ({ status: 400, body: problem('validation_failed', 400, { errors: [{ path: '/query/cardExpiry', message: 'required with panLast4' }] }) }));
    await expect(issuer.searchTokens({ panLast4: '1232' }).toArray()).rejects.toBeInstanceOf(ValidationError);
  });

  it('reads one token and pages its history with the cursor; a foreign token is a NotFoundError', async () => {
    tsp.on('GET', '/v1/issuer/tokens/tok_7Qm2vXk9LpR4sT8wZa1B', () => ({ status: 200, body: tokenBody() }));
    const entry = (id: string, action: string) => ({ id, at: '2026-01-05T09:14:02.480Z', category: 'lifecycle', action, outcome: 'success', actor: { type: 'system' }, summary: action });
    tsp.sequence('GET', '/v1/issuer/tokens/tok_7Qm2vXk9LpR4sT8wZa1B/history', [
      { status: 200, body: { data: [entry('aud_Rk7Tn2Wp9Xs4Vb6Yc1Zd', 'token.created')], nextCursor: 'h1' } },
      { status: 200, body: { data: [entry('aud_Tb4Nc8Xm2Qw6Er1Ty5Ui', 'token.suspended')], nextCursor: null } },
    ]);
    tsp.on('GET', '/v1/issuer/tokens/tok_otherIssuer0000000000', () => ({ status: 404, body: problem('token_not_found', 404) }));
    const issuer = new IssuerClient({ baseUrl: tsp.url, credentials: CREDENTIALS });

    await expect(issuer.getToken('tok_7Qm2vXk9LpR4sT8wZa1B')).resolves.toMatchObject({ tokenRef: 'tok_7Qm2vXk9LpR4sT8wZa1B', status: 'ACTIVE' });
    const actions: string[] = [];
    for await (const e of issuer.tokenHistory('tok_7Qm2vXk9LpR4sT8wZa1B', { limit: 1 })) actions.push(e.action);
    expect(actions).toEqual(['token.created', 'token.suspended']);
    const pages = tsp.calls('/v1/issuer/tokens/tok_7Qm2vXk9LpR4sT8wZa1B/history');
    expect(pages.map((p) => [p.query.get('limit'), p.query.get('cursor')])).toEqual([['1', null], ['1', 'h1']]);
    const err = await issuer.getToken('tok_otherIssuer0000000000').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ code: 'token_not_found', status: 404 });
  });
});
