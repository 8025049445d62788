import { AuthenticationError, ClientCredentialsAuth, HttpClient } from '../src';
import { CREDENTIALS, FAST_RETRY, StandIn, problem, tokenBody } from './support/stand-in';

/*
 * `HttpClient` on its own with the caller's token: the console signs in once and keeps the
 * access token in its session; the SDK asks for the current one on every call.
 */
const REF = 'tok_7Qm2vXk9LpR4sT8wZa1B';
const PATH = `/v1/issuer/tokens/${REF}`;

describe('HttpClient with a bearer token source', () => {
  let tsp: StandIn;
  beforeEach(async () => {
    tsp = await StandIn.start();
    tsp.on('GET', PATH, (req) =>
      req.headers.authorization ? { status: 200, body: tokenBody() } : { status: 401, body: problem('unauthorized', 401) },
    );
  });
  afterEach(() => tsp.close());

  it('sends the token the function returns at the time of each call, and never asks /oauth2/token', async () => {
    let current = 'session-1';
    const http = new HttpClient({ baseUrl: tsp.url, accessToken: () => current, retry: FAST_RETRY });
    await http.call('get', '/v1/issuer/tokens/{tokenRef}', { path: { tokenRef: REF } });
    current = 'session-2';
    const { data } = await http.call('get', '/v1/issuer/tokens/{tokenRef}', { path: { tokenRef: REF } });
    expect(data.tokenRef).toBe(REF);
    expect(tsp.calls(PATH).map((r) => r.headers.authorization)).toEqual(['Bearer session-1', 'Bearer session-2']);
    expect(tsp.tokenCount).toBe(0);
  });

  it('calls without Authorization when the source has no token (signed out): AuthenticationError unauthorized', async () => {
    const http = new HttpClient({ baseUrl: tsp.url, accessToken: async () => undefined, retry: FAST_RETRY });
    const err = await http.call('get', '/v1/issuer/tokens/{tokenRef}', { path: { tokenRef: REF } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ code: 'unauthorized', status: 401 });
    expect(tsp.calls(PATH)[0]?.headers.authorization).toBeUndefined();
  });

  it('does not repeat a call whose token expired when the source cannot renew it', async () => {
    tsp.on('GET', PATH, () => ({ status: 401, body: problem('token_expired', 401) }));
    const http = new HttpClient({ baseUrl: tsp.url, accessToken: () => 'stale', retry: FAST_RETRY });
    await expect(http.call('get', '/v1/issuer/tokens/{tokenRef}', { path: { tokenRef: REF } })).rejects.toMatchObject({ code: 'token_expired' });
    expect(tsp.calls(PATH)).toHaveLength(1);
  });

  it('accepts an AccessTokenSource such as ClientCredentialsAuth, renewing an expired token once', async () => {
    const auth = new ClientCredentialsAuth(new HttpClient({ baseUrl: tsp.url }), CREDENTIALS);
    const http = new HttpClient({ baseUrl: tsp.url, accessToken: auth, retry: FAST_RETRY });
    tsp.sequence('GET', PATH, [{ status: 401, body: problem('token_expired', 401) }, { status: 200, body: tokenBody() }]);
    await http.call('get', '/v1/issuer/tokens/{tokenRef}', { path: { tokenRef: REF } });
    expect(tsp.calls(PATH).map((r) => r.headers.authorization)).toEqual(['Bearer at-1', 'Bearer at-2']);
  });
});
