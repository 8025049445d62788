import * as oidc from 'openid-client';
import request from 'supertest';
import { loadOpenApiSpec } from '../../src/http/openapi-spec';
import { createTestClient, type TestClient } from '../../../../test/support/clients';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';

/**
 * The token endpoint as an integrator meets it: panva's openid-client (a certified OAuth 2
 * library) discovers the TSP from its RFC 8414 metadata and gets tokens with
 * `client_secret_basic` and `private_key_jwt`, exactly as it would against any compliant server.
 */
const PUBLIC_URL = 'http://tsp.opentsp.test';

describe('OAuth 2 interoperability with openid-client', () => {
  let tsp: TestTsp;
  let secretClient: TestClient;
  let keyClient: TestClient;
  let privateKey: CryptoKey;
  beforeAll(async () => {
    tsp = await startTestTsp({ OPENTSP_PUBLIC_URL: PUBLIC_URL });
    const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    privateKey = pair.privateKey;
    const { kty, crv, x, y } = await crypto.subtle.exportKey('jwk', pair.publicKey);
    const jwks = { keys: [{ kty, crv, x, y, kid: 'interop-1', use: 'sig', alg: 'ES256' }] };
    [secretClient, keyClient] = await Promise.all([
      createTestClient(tsp, { role: 'wallet' }),
      createTestClient(tsp, { role: 'wallet', tokenEndpointAuthMethod: 'private_key_jwt', jwks: jwks as never }),
    ]);
  });
  afterAll(async () => {
    await tsp.services.identity.close();
    await tsp.close();
  });

  // The issuer is the TSP's public URL (as behind a reverse proxy); the test server listens on
  // 127.0.0.1:<random port>, so requests to the public origin are sent there. That server is
  // plain http, which openid-client refuses unless told: allowInsecureRequests is for this
  // local test only, never for a deployment.
  const options = (): oidc.DiscoveryRequestOptions => ({
    algorithm: 'oauth2',
    execute: [oidc.allowInsecureRequests],
    [oidc.customFetch]: (url: string, init: oidc.CustomFetchOptions) => fetch(url.replace(PUBLIC_URL, tsp.url), init as RequestInit),
  });
  const discover = (clientId: string, auth: oidc.ClientAuth) => oidc.discovery(new URL(PUBLIC_URL), clientId, undefined, auth, options());

  it('publishes authorization server metadata (RFC 8414) with the contract scopes', async () => {
    const res = await request(tsp.url).get('/.well-known/oauth-authorization-server');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const spec = loadOpenApiSpec() as { components: { securitySchemes: { oauth2: { flows: { clientCredentials: { scopes: Record<string, string> } } } } } };
    expect(res.body).toEqual({
      issuer: PUBLIC_URL,
      token_endpoint: `${PUBLIC_URL}/oauth2/token`,
      jwks_uri: `${PUBLIC_URL}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials'],
      response_types_supported: [],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['ES256'],
      scopes_supported: Object.keys(spec.components.securitySchemes.oauth2.flows.clientCredentials.scopes),
      service_documentation: `${PUBLIC_URL}/docs`,
    });
  });

  it('discovers the TSP and gets a token with client_secret_basic', async () => {
    const config = await discover(secretClient.clientId, oidc.ClientSecretBasic(secretClient.clientSecret));
    expect(config.serverMetadata().token_endpoint).toBe(`${PUBLIC_URL}/oauth2/token`);
    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'tokens:read' });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe('tokens:read');
    expect(tokens.expiresIn()).toBeGreaterThan(0);
    // The token works on the API.
    const list = await request(tsp.url).get('/v1/tokens').query({ walletAccountId: 'acct-1' }).set('Authorization', `Bearer ${tokens.access_token}`);
    expect(list.status).toBe(200);
  });

  it('gets a token with private_key_jwt (RFC 7523 assertion built by the library)', async () => {
    const config = await discover(keyClient.clientId, oidc.PrivateKeyJwt({ key: privateKey, kid: 'interop-1' }));
    const tokens = await oidc.clientCredentialsGrant(config);
    expect(tokens.access_token).toMatch(/^ey/);
    expect(tokens.scope?.split(' ')).toContain('tokens:provision');
  });

  it('surfaces a wrong secret as invalid_client (challenge and JSON body)', async () => {
    const config = await discover(secretClient.clientId, oidc.ClientSecretBasic('wrong-secret-wrong-secret-wrong-secret-123'));
    const err = await oidc.clientCredentialsGrant(config).then(() => undefined, (e: unknown) => e);
    // RFC 6749 §5.2: a client that used the Authorization header gets 401 with a challenge.
    expect(err).toBeInstanceOf(oidc.WWWAuthenticateChallengeError);
    const challenge = err as oidc.WWWAuthenticateChallengeError;
    expect(challenge.status).toBe(401);
    expect(challenge.cause[0]).toMatchObject({ scheme: 'basic', parameters: { error: 'invalid_client' } });
    expect(await challenge.response.json()).toMatchObject({ error: 'invalid_client', error_description: expect.any(String) });
  });

  it('surfaces a bad client assertion as an invalid_client error body', async () => {
    const other = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const config = await discover(keyClient.clientId, oidc.PrivateKeyJwt({ key: other.privateKey, kid: 'interop-1' }));
    const err = await oidc.clientCredentialsGrant(config).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(oidc.ResponseBodyError);
    expect(err).toMatchObject({ error: 'invalid_client', status: 401 });
  });
});
