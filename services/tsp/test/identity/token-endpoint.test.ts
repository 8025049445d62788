import { KeySet, signJwt, type Key } from '@opentsp/crypto';
import request from 'supertest';
import { clientsRepository } from '../../src/store/clients.repository';
import { basicAuth, bearer, createTestClient, createTestParties, tokenFor, type TestClient, type TestParties } from '../../../../test/support/clients';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

function postToken(tsp: TestTsp, fields: Record<string, string>, authorization?: string) {
  const req = request(tsp.url).post('/oauth2/token').type('form');
  if (authorization) req.set('Authorization', authorization);
  return req.send(form(fields));
}

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

function headerOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The stable part of a problem (what must not differ between an unknown and a known client). */
function stable(body: Record<string, unknown>) {
  const { requestId: _r, instance: _i, ...rest } = body;
  return rest;
}

describe('POST /oauth2/token with client_secret_basic', () => {
  let tsp: TestTsp;
  let parties: TestParties;
  beforeAll(async () => {
    // Production's scrypt cost (the sandbox's is 4× cheaper): the timing check below must tell
    // a request that hashes from one that does not.
    tsp = await startTestTsp({ OPENTSP_SCRYPT_LOG2_N: '14' });
    parties = await createTestParties(tsp);
  });
  afterAll(async () => {
    await tsp.services.identity.close();
    await tsp.close();
  });

  it('issues a short-lived ES256 at+jwt access token with RFC 9068 claims', async () => {
    const res = await postToken(tsp, { grant_type: 'client_credentials' }, basicAuth(parties.wallet.clientId, parties.wallet.clientSecret));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'tokens:provision tokens:read tokens:manage tokens:cryptogram' });
    const header = headerOf(res.body.access_token);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid: tsp.services.vault.keyRing.signingKey().kid });
    const claims = claimsOf(res.body.access_token);
    expect(claims).toMatchObject({
      iss: tsp.config.publicUrl,
      aud: tsp.config.publicUrl,
      sub: parties.wallet.clientId,
      client_id: parties.wallet.clientId,
      role: 'wallet',
      trid: parties.wallet.client.trid,
      jti: expect.any(String),
    });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(900);
  });

  it('carries the issuer id in an issuer client token, and narrows scopes on request', async () => {
    const res = await postToken(tsp, { grant_type: 'client_credentials', scope: 'push:create' }, basicAuth(parties.issuerClient.clientId, parties.issuerClient.clientSecret));
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('push:create');
    expect(claimsOf(res.body.access_token)).toMatchObject({ role: 'issuer', issuer_id: parties.issuer.issuerId, scope: 'push:create' });
  });

  it('never replays a token response to another client repeating the same Idempotency-Key', async () => {
    const call = (client: TestClient) =>
      request(tsp.url).post('/oauth2/token').type('form').set('Idempotency-Key', 'shared-key-1')
        .set('Authorization', basicAuth(client.clientId, client.clientSecret)).send('grant_type=client_credentials');
    const [a, b] = [await call(parties.wallet), await call(parties.acquirer)];
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(claimsOf(a.body.access_token).sub).toBe(parties.wallet.clientId);
    expect(claimsOf(b.body.access_token).sub).toBe(parties.acquirer.clientId);
  });

  it('answers errors as RFC 6749 §5.2 JSON (application/json, error, error_description) with the problem fields', async () => {
    const cases = [
      { res: await postToken(tsp, { grant_type: 'client_credentials' }, basicAuth(parties.wallet.clientId, 'w'.repeat(43))), status: 401, error: 'invalid_client' },
      { res: await postToken(tsp, { grant_type: 'password' }, basicAuth(parties.wallet.clientId, parties.wallet.clientSecret)), status: 400, error: 'unsupported_grant_type' },
      // Refused by the contract validator before the endpoint runs: still an OAuth error body.
      { res: await postToken(tsp, { scope: 'admin' }, basicAuth(parties.wallet.clientId, parties.wallet.clientSecret)), status: 400, error: 'invalid_request' },
    ];
    for (const { res, status, error } of cases) {
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toMatchObject({ error, error_description: expect.any(String), status, code: expect.any(String), requestId: expect.any(String) });
    }
    expect(cases[0]?.res.headers['www-authenticate']).toBe('Basic realm="opentsp", error="invalid_client"');
  });

  it('refuses a scope the client does not have with invalid_scope', async () => {
    const res = await postToken(tsp, { grant_type: 'client_credentials', scope: 'tokens:read admin' }, basicAuth(parties.wallet.clientId, parties.wallet.clientSecret));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_scope', error: 'invalid_scope' });
  });

  it('refuses another grant type with unsupported_grant_type', async () => {
    const res = await postToken(tsp, { grant_type: 'password' }, basicAuth(parties.wallet.clientId, parties.wallet.clientSecret));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'unsupported_grant_type', error: 'unsupported_grant_type' });
  });

  it('refuses a request without client authentication with invalid_client', async () => {
    const res = await postToken(tsp, { grant_type: 'client_credentials' });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'invalid_client', error: 'invalid_client' });
  });

  it('refuses a wrong secret and an unknown client alike: same status, code, message, and similar time', async () => {
    const wrong = () => postToken(tsp, { grant_type: 'client_credentials' }, basicAuth(parties.wallet.clientId, 'x'.repeat(43)));
    const unknown = () => postToken(tsp, { grant_type: 'client_credentials' }, basicAuth('cli_NoSuchClient00000000', 'x'.repeat(43)));
    const [a, b] = [await wrong(), await unknown()];
    expect(a.status).toBe(401);
    expect(a.headers['www-authenticate']).toMatch(/^Basic /);
    expect(stable(a.body)).toEqual(stable(b.body));
    expect(a.body).toMatchObject({ code: 'invalid_client', error: 'invalid_client' });
    const timed = async (call: () => Promise<unknown>) => {
      const start = process.hrtime.bigint();
      await call();
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    // Alternated, so a busy machine's drift falls on both alike (in blocks of five, one after
    // the other, CI once measured 3.2× between them while other test files ran).
    const known: number[] = [];
    const unknownMs: number[] = [];
    for (let i = 0; i < 9; i++) {
      known.push(await timed(wrong));
      unknownMs.push(await timed(unknown));
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
    // Both spend one scrypt (a dummy for the unknown id): medians within a factor of two.
    // Without the dummy, an unknown id answers several times faster than a wrong secret.
    expect(median(known) / median(unknownMs)).toBeGreaterThan(0.5);
    expect(median(known) / median(unknownMs)).toBeLessThan(2);
  });

  it('audits refused token requests of known clients as auth.token denied', async () => {
    const client = await createTestClient(tsp, { role: 'wallet', name: 'Audited Wallet' });
    await postToken(tsp, { grant_type: 'client_credentials' }, basicAuth(client.clientId, 'y'.repeat(43)));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const rows = await tsp.db.db.selectFrom('audit_entries').selectAll().where('subject_id', '=', client.clientId).execute();
    expect(rows.map((r) => [r.action, r.outcome, r.details])).toEqual(
      expect.arrayContaining([['client.create', 'success', expect.anything()], ['auth.token', 'denied', { reason: 'secret' }]]),
    );
  });

  it('rotates a secret without downtime: both work in the overlap window, ttl 0 revokes the old one', async () => {
    const client = await createTestClient(tsp, { role: 'acquirer', name: 'Rotating Acquirer', merchantIds: ['m-1'] });
    const admin = await tokenFor(tsp, parties.admin);
    const rotated = await request(tsp.url).post(`/v1/admin/clients/${client.clientId}/secrets`).set(bearer(admin)).send({ previousSecretTtlSeconds: 600 });
    expect(rotated.status).toBe(201);
    expect(rotated.headers['cache-control']).toBe('no-store');
    expect(Date.parse(rotated.body.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(590_000);
    await expect(tokenFor(tsp, client)).resolves.toEqual(expect.any(String));
    await expect(tokenFor(tsp, { clientId: client.clientId, clientSecret: rotated.body.clientSecret })).resolves.toEqual(expect.any(String));

    const again = await request(tsp.url).post(`/v1/admin/clients/${client.clientId}/secrets`).set(bearer(admin)).send({ previousSecretTtlSeconds: 0 });
    expect(again.status).toBe(201);
    await expect(tokenFor(tsp, { clientId: client.clientId, clientSecret: rotated.body.clientSecret })).rejects.toThrow(/401 invalid_client/);
    await expect(tokenFor(tsp, { clientId: client.clientId, clientSecret: again.body.clientSecret })).resolves.toEqual(expect.any(String));
  });

  it('refuses to rotate the secret of a private_key_jwt client with client_auth_method_mismatch', async () => {
    const keys = KeySet.create();
    await keys.generate('ES256');
    const client = await createTestClient(tsp, { role: 'wallet', tokenEndpointAuthMethod: 'private_key_jwt', jwks: keys.toPublicJwks() as never });
    const res = await request(tsp.url).post(`/v1/admin/clients/${client.clientId}/secrets`).set(bearer(await tokenFor(tsp, parties.admin))).send({});
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('client_auth_method_mismatch');
  });

  it('refuses a suspended client a token, and its existing token on its next call, at once', async () => {
    const wallet = await createTestClient(tsp, { role: 'wallet', name: 'Suspended Wallet' });
    const walletToken = await tokenFor(tsp, wallet);
    const admin = await tokenFor(tsp, parties.admin);
    const before = await request(tsp.url).get('/v1/tokens').set(bearer(walletToken));
    expect(before.status).not.toBe(401);

    const suspended = await request(tsp.url).post(`/v1/admin/clients/${wallet.clientId}/suspend`).set(bearer(admin)).send({ comment: 'test' });
    expect(suspended.status).toBe(200);
    expect(suspended.body.status).toBe('suspended');

    const after = await request(tsp.url).get('/v1/tokens').set(bearer(walletToken));
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('client_suspended');
    const refused = await postToken(tsp, { grant_type: 'client_credentials' }, basicAuth(wallet.clientId, wallet.clientSecret));
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('client_suspended');

    await request(tsp.url).post(`/v1/admin/clients/${wallet.clientId}/resume`).set(bearer(admin)).send({});
    expect((await request(tsp.url).get('/v1/tokens').set(bearer(walletToken))).status).not.toBe(401);
  });
});

describe('POST /oauth2/token with private_key_jwt (RFC 7523)', () => {
  let tsp: TestTsp;
  let client: TestClient;
  let key: Key;
  let audience: string;
  beforeAll(async () => {
    tsp = await startTestTsp();
    const keys = KeySet.create();
    key = await keys.generate('ES256');
    client = await createTestClient(tsp, { role: 'wallet', tokenEndpointAuthMethod: 'private_key_jwt', jwks: keys.toPublicJwks() as never });
    audience = `${tsp.config.publicUrl}/oauth2/token`;
  });
  afterAll(async () => {
    await tsp.services.identity.close();
    await tsp.close();
  });

  function assertion(options: { iss?: string; sub?: string; aud?: string; expiresIn?: number; jti?: boolean; signer?: Key } = {}): string {
    return signJwt({ sub: options.sub ?? client.clientId }, options.signer ?? key, {
      issuer: options.iss ?? client.clientId,
      audience: options.aud ?? audience,
      expiresInSeconds: options.expiresIn ?? 60,
      jti: options.jti ?? true,
    });
  }

  const post = (jwt: string, extra: Record<string, string> = {}) =>
    postToken(tsp, { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: jwt, ...extra });

  it('issues a token for a valid assertion (audience: token endpoint URL or the issuer URL)', async () => {
    const res = await post(assertion());
    expect(res.status).toBe(200);
    expect(claimsOf(res.body.access_token)).toMatchObject({ sub: client.clientId, trid: client.client.trid });
    expect((await post(assertion({ aud: tsp.config.publicUrl }), { client_id: client.clientId })).status).toBe(200);
  });

  const refusals: Array<[string, () => Promise<string>]> = [
    ['an expired assertion', async () => assertion({ expiresIn: -120 })],
    ['a wrong audience', async () => assertion({ aud: 'https://other.example/oauth2/token' })],
    ['an exp more than five minutes ahead', async () => assertion({ expiresIn: 3600 })],
    ['a sub other than the client', async () => assertion({ sub: 'cli_SomebodyElse0000000' })],
    ['an assertion without jti', async () => assertion({ jti: false })],
    [
      'a signature by an unregistered key',
      async () => {
        const other = KeySet.create();
        return assertion({ signer: await other.generate('ES256', { kid: key.kid }) });
      },
    ],
  ];
  it.each(refusals)('refuses %s with 401 invalid_assertion', async (_name, make) => {
    const res = await post(await make());
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'invalid_assertion', error: 'invalid_client', detail: 'The client assertion is not valid.' });
  });

  it('refuses a replayed assertion (jti single-use)', async () => {
    const jwt = assertion();
    expect((await post(jwt)).status).toBe(200);
    const replay = await post(jwt);
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('invalid_assertion');
  });

  it('keeps a used jti past the clock leeway: a replay after the expired-jti purge is still refused', async () => {
    // exp 10 s ago: still accepted within the 30 s leeway, so the jti must outlive exp.
    const jwt = assertion({ expiresIn: -10 });
    expect((await post(jwt)).status).toBe(200);
    await clientsRepository.purgeExpiredJtis(tsp.ctx.database.db);
    const replay = await post(jwt);
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('invalid_assertion');
  });

  it('answers an assertion for an unknown client exactly like a bad one', async () => {
    const other = KeySet.create();
    const signer = await other.generate('ES256');
    const unknown = signJwt({ sub: 'cli_NoSuchClient00000000' }, signer, { issuer: 'cli_NoSuchClient00000000', audience, expiresInSeconds: 60, jti: true });
    const [a, b] = [await post(unknown), await post(assertion({ expiresIn: -120 }))];
    expect(a.status).toBe(401);
    expect(stable(a.body)).toEqual(stable(b.body));
  });

  it('refuses client_id differing from the assertion issuer', async () => {
    const res = await post(assertion(), { client_id: 'cli_SomebodyElse0000000' });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_assertion');
  });

  it('refuses two authentication methods at once with validation_failed / invalid_request', async () => {
    const res = await postToken(
      tsp,
      { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: assertion() },
      basicAuth(client.clientId, 'z'.repeat(43)),
    );
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'validation_failed', error: 'invalid_request' });
  });
});
