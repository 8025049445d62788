import { exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { AuthenticationError, WalletClient, type EcPrivateJwk } from '../src';
import { CREDENTIALS, FAST_RETRY, StandIn, problem, tokenBody } from './support/stand-in';

const REF = 'tok_7Qm2vXk9LpR4sT8wZa1B';
const GET = `/v1/tokens/${REF}`;

describe('client credentials and the access token cache', () => {
  let tsp: StandIn;
  beforeEach(async () => {
    tsp = await StandIn.start();
  });
  afterEach(() => tsp.close());

  it('refreshes an expired access token transparently when the TSP answers 401 token_expired once', async () => {
    const wallet = new WalletClient({ baseUrl: tsp.url, credentials: CREDENTIALS, retry: FAST_RETRY });
    let first = true;
    tsp.on('GET', GET, (req) => {
      if (first) {
        first = false;
        return { status: 401, body: problem('token_expired', 401) };
      }
      return { status: 200, body: tokenBody({ walletAccountId: String(req.headers.authorization) }) };
    });
    const token = await wallet.getCard(REF);
    expect(token.walletAccountId).toBe('Bearer at-2');
    expect(tsp.tokenCount).toBe(2);
    expect(tsp.calls(GET).map((r) => r.headers.authorization)).toEqual(['Bearer at-1', 'Bearer at-2']);
  });

  it('does not loop when the fresh token is refused too: AuthenticationError token_expired', async () => {
    const wallet = new WalletClient({ baseUrl: tsp.url, credentials: CREDENTIALS, retry: FAST_RETRY });
    tsp.on('GET', GET, () => ({ status: 401, body: problem('token_expired', 401) }));
    const err = await wallet.getCard(REF).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ code: 'token_expired', status: 401 });
    expect(tsp.tokenCount).toBe(2);
  });

  it('makes ten concurrent calls share ONE token request', async () => {
    const wallet = new WalletClient({ baseUrl: tsp.url, credentials: CREDENTIALS, retry: FAST_RETRY });
    tsp.on('POST', '/oauth2/token', () => {
      tsp.tokenCount += 1;
      return { status: 200, delayMs: 50, body: { access_token: 'shared', token_type: 'Bearer', expires_in: 900, scope: 'tokens:read' } };
    });
    tsp.on('GET', GET, () => ({ status: 200, body: tokenBody() }));
    await Promise.all(Array.from({ length: 10 }, () => wallet.getCard(REF)));
    expect(tsp.tokenCount).toBe(1);
    expect(tsp.calls(GET).every((r) => r.headers.authorization === 'Bearer shared')).toBe(true);
    await wallet.getCard(REF);
    expect(tsp.tokenCount).toBe(1);
  });

  it('fetches a new token shortly before the cached one expires', async () => {
    let now = Date.parse('2026-01-01T09:00:00Z');
    const wallet = new WalletClient({ baseUrl: tsp.url, credentials: CREDENTIALS, retry: FAST_RETRY, clock: () => now });
    tsp.on('GET', GET, () => ({ status: 200, body: tokenBody() }));
    await wallet.getCard(REF);
    now += 860_000; // 900 s token: still well inside its lifetime
    await wallet.getCard(REF);
    expect(tsp.tokenCount).toBe(1);
    now += 15_000; // 875 s: within the 30 s margin before expiry
    await wallet.getCard(REF);
    expect(tsp.tokenCount).toBe(2);
  });

  it('sends client_secret_basic as RFC 6749 §2.3.1 says, form-encoded with the grant and scope', async () => {
    const wallet = new WalletClient({ baseUrl: tsp.url, credentials: CREDENTIALS, scope: ['tokens:read', 'tokens:manage'] });
    tsp.on('GET', GET, () => ({ status: 200, body: tokenBody() }));
    await wallet.getCard(REF);
    const [req] = tsp.calls('/oauth2/token');
    expect(req!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req!.headers.authorization).toBe(`Basic ${Buffer.from('cli_wallet0001SandboxA:s3cret+value').toString('base64')}`);
    expect(Object.fromEntries(new URLSearchParams(req!.body))).toEqual({ grant_type: 'client_credentials', scope: 'tokens:read tokens:manage' });
    expect(req!.headers['idempotency-key']).toBeDefined();
  });

  it('authenticates with private_key_jwt: an ES256 assertion with iss = sub = client id, aud = token URL, jti, exp ≤ 5 min', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = { ...(await exportJWK(privateKey)), kid: 'wallet-key-1' } as EcPrivateJwk;
    const wallet = new WalletClient({ baseUrl: tsp.url, credentials: { clientId: 'cli_wallet0001SandboxA', privateKey: privateJwk } });
    tsp.on('GET', GET, () => ({ status: 200, body: tokenBody() }));
    await wallet.getCard(REF);
    const form = new URLSearchParams(tsp.calls('/oauth2/token')[0]!.body);
    expect(tsp.calls('/oauth2/token')[0]!.headers.authorization).toBeUndefined();
    expect(form.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(form.get('client_id')).toBe('cli_wallet0001SandboxA');
    const { payload, protectedHeader } = await jwtVerify(form.get('client_assertion')!, publicKey, {
      issuer: 'cli_wallet0001SandboxA',
      subject: 'cli_wallet0001SandboxA',
      audience: `${tsp.url}/oauth2/token`,
      algorithms: ['ES256'],
    });
    expect(protectedHeader.kid).toBe('wallet-key-1');
    expect(typeof payload.jti).toBe('string');
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(300);
  });

  it('surfaces a refused client as AuthenticationError invalid_client with the OAuth error', async () => {
    const wallet = new WalletClient({ baseUrl: tsp.url, credentials: CREDENTIALS });
    tsp.on('POST', '/oauth2/token', () => ({ status: 401, body: problem('invalid_client', 401, { error: 'invalid_client' }) }));
    const err = await wallet.getCard(REF).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ code: 'invalid_client', oauthError: 'invalid_client' });
    expect(tsp.calls(GET)).toHaveLength(0);
  });
});
