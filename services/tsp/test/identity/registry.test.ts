import { KeySet } from '@opentsp/crypto';
import request from 'supertest';
import { createAuditLog } from '../../src/audit/audit-log';
import { createIdentityServices, type IdentityServices } from '../../src/domain/identity';
import { bearer, createTestClient, createTestParties, tokenFor, type TestParties } from '../../../../test/support/clients';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';

function issuerBody(card: string, token: string, extra: Record<string, unknown> = {}) {
  return {
    name: `Bank ${card}`,
    country: 'CN',
    cardBinRanges: [{ prefix: card, panLength: 16 }],
    tokenBinRanges: [{ prefix: token, tokenLength: 16 }],
    standInDecision: 'decline',
    ...extra,
  };
}

describe('client and issuer registry (admin API)', () => {
  let tsp: TestTsp;
  let parties: TestParties;
  let admin: string;
  beforeAll(async () => {
    tsp = await startTestTsp();
    parties = await createTestParties(tsp);
    admin = await tokenFor(tsp, parties.admin);
  });
  afterAll(async () => {
    await tsp.services.identity.close();
    await tsp.close();
  });

  const post = (path: string, body: object) => request(tsp.url).post(path).set(bearer(admin)).send(body);

  describe('issuers', () => {
    it('registers an issuer with its BIN ranges, readable by id and from the registry', async () => {
      const res = await post('/v1/admin/issuers', issuerBody('622001', '628901', { decisionUrl: 'https://bank.example/decisions' }));
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        issuerId: expect.stringMatching(/^iss_[A-Za-z0-9]{20}$/),
        status: 'active',
        cardBinRanges: [{ prefix: '622001', panLength: 16 }],
        tokenBinRanges: [{ prefix: '628901', tokenLength: 16 }],
        binControllerId: expect.stringMatching(/^[A-Z0-9]{4}$/),
      });
      const got = await request(tsp.url).get(`/v1/admin/issuers/${res.body.issuerId}`).set(bearer(admin));
      expect(got.body).toEqual(res.body);
      const registry = tsp.services.identity.registry;
      expect(registry.findIssuerForPan('6220011234567890')?.issuerId).toBe(res.body.issuerId);
      expect(registry.findIssuerForPan('62200112345678901')).toBeUndefined(); // 17 digits: no such range
      expect(registry.tokenBinRangesOf(res.body.issuerId)).toEqual([{ prefix: '628901', tokenLength: 16 }]);
      expect(registry.allCardBinRanges()).toEqual(expect.arrayContaining([{ prefix: '622001', panLength: 16, issuerId: res.body.issuerId }]));
    });

    it.each([
      ['a card range nested in another issuer card range', issuerBody('6220011', '628902')],
      ['a card range equal to another issuer card range', issuerBody('622001', '628903')],
      ['a token range nested in another issuer token range', issuerBody('622003', '6289011')],
      ['a token range equal to a card range', issuerBody('622004', '622001')],
      ['a card range equal to another issuer token range', issuerBody('628901', '628905')],
    ])('refuses %s with 409 bin_range_overlap', async (_name, body) => {
      const res = await post('/v1/admin/issuers', body);
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('bin_range_overlap');
    });

    it('refuses a card range containing a longer one of another issuer', async () => {
      expect((await post('/v1/admin/issuers', issuerBody('6261234', '628911'))).status).toBe(201);
      const res = await post('/v1/admin/issuers', issuerBody('626123', '628912'));
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('bin_range_overlap');
    });

    it('refuses overlapping ranges within one request', async () => {
      const res = await post('/v1/admin/issuers', issuerBody('623001', '6230012'));
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('bin_range_overlap');
    });

    it('lets only one of two concurrent registrations of overlapping ranges succeed', async () => {
      const results = await Promise.all([
        post('/v1/admin/issuers', issuerBody('624001', '628931')),
        post('/v1/admin/issuers', issuerBody('6240019', '628932')),
        post('/v1/admin/issuers', issuerBody('624001', '628933')),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    });

    it('updates an issuer (PATCH): endpoints, stand-in and ranges, with the overlap check', async () => {
      const created = await post('/v1/admin/issuers', issuerBody('625001', '628941'));
      const patch = (body: object) => request(tsp.url).patch(`/v1/admin/issuers/${created.body.issuerId}`).set(bearer(admin)).send(body);
      const updated = await patch({ standInDecision: 'approve', decisionUrl: 'https://bank.example/v2', tokenBinRanges: [{ prefix: '628942', tokenLength: 16 }] });
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({ standInDecision: 'approve', decisionUrl: 'https://bank.example/v2', tokenBinRanges: [{ prefix: '628942', tokenLength: 16 }] });
      expect((await patch({ decisionUrl: null })).body.decisionUrl).toBeUndefined();
      const clash = await patch({ cardBinRanges: [{ prefix: '622001', panLength: 16 }] });
      expect(clash.status).toBe(409);
      expect(clash.body.code).toBe('bin_range_overlap');
      const missing = await request(tsp.url).patch('/v1/admin/issuers/iss_NoSuchIssuer000000000').set(bearer(admin)).send({ name: 'x' });
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('issuer_not_found');
    });

    it('pages issuers with a stable cursor and refuses a foreign cursor', async () => {
      const all: string[] = [];
      let cursor: string | null = null;
      do {
        const res: request.Response = await request(tsp.url).get('/v1/admin/issuers').query({ limit: 2, ...(cursor ? { cursor } : {}) }).set(bearer(admin));
        expect(res.status).toBe(200);
        all.push(...res.body.data.map((i: { issuerId: string }) => i.issuerId));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(new Set(all).size).toBe(all.length);
      expect(all.length).toBeGreaterThanOrEqual(4);
      const clientsCursor = (await request(tsp.url).get('/v1/admin/clients').query({ limit: 1 }).set(bearer(admin))).body.nextCursor;
      const res = await request(tsp.url).get('/v1/admin/issuers').query({ cursor: clientsCursor }).set(bearer(admin));
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('cursor_invalid');
    });
  });

  describe('clients', () => {
    it('gives wallets and cof merchants unique TRIDs: the TSP code + 8 digits', async () => {
      const a = await post('/v1/admin/clients', { role: 'wallet', name: 'W1', tokenEndpointAuthMethod: 'client_secret_basic' });
      const b = await post('/v1/admin/clients', { role: 'cof_merchant', name: 'M1', merchantIds: ['m-1'], tokenEndpointAuthMethod: 'client_secret_basic' });
      expect(a.status).toBe(201);
      expect(a.headers['cache-control']).toBe('no-store');
      expect(a.body.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(a.body.client).toMatchObject({ role: 'wallet', status: 'active', trid: expect.stringMatching(new RegExp(`^${tsp.config.tspCode}[0-9]{8}$`)), allowedChannels: ['nfc', 'in_app', 'ecom', 'cof'] });
      expect(b.body.client.trid).toMatch(/^[0-9]{11}$/);
      expect(a.body.client.trid).not.toBe(b.body.client.trid);
      expect(tsp.services.identity.registry.getRequestorByTrid(a.body.client.trid)?.clientId).toBe(a.body.client.clientId);
      const got = await request(tsp.url).get(`/v1/admin/clients/${a.body.client.clientId}`).set(bearer(admin));
      expect(got.body).toEqual(a.body.client);
      expect(JSON.stringify(got.body)).not.toContain(a.body.clientSecret);
    });

    it('stores only a slow hash of the secret', async () => {
      const created = await createTestClient(tsp, { role: 'admin', name: 'Hash check' });
      const row = await tsp.db.db.selectFrom('clients').selectAll().where('id', '=', created.clientId).executeTakeFirstOrThrow();
      expect(row.secret_hash).toMatch(/^\$scrypt\$ln=\d+,r=8,p=1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
      expect(JSON.stringify(row)).not.toContain(created.clientSecret);
    });

    it('returns an acquirer A256GCMKW response key once, never again', async () => {
      const res = await post('/v1/admin/clients', {
        role: 'acquirer', name: 'Acq', merchantIds: ['m-7'], tokenEndpointAuthMethod: 'client_secret_basic', responseEncryption: { alg: 'A256GCMKW' },
      });
      expect(res.status).toBe(201);
      expect(res.body.responseEncryptionKey).toMatchObject({ kty: 'oct', alg: 'A256GCMKW', use: 'enc', k: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
      const got = await request(tsp.url).get(`/v1/admin/clients/${res.body.client.clientId}`).set(bearer(admin));
      expect(got.body.responseEncryption).toEqual({ alg: 'A256GCMKW' });
      expect(JSON.stringify(got.body)).not.toContain(res.body.responseEncryptionKey.k);
      // At rest: sealed by the vault envelope, bound to the client (AAD), never in clear.
      const row = await tsp.db.db.selectFrom('clients').select('response_key_sealed').where('id', '=', res.body.client.clientId).executeTakeFirstOrThrow();
      expect(row.response_key_sealed).toMatch(/^ev1\./);
      expect(row.response_key_sealed).not.toContain(res.body.responseEncryptionKey.k);
      const opened = await tsp.services.vault.envelope.open(tsp.db.db, row.response_key_sealed as string, { purpose: 'client-key', ownerRef: res.body.client.clientId });
      expect(JSON.parse(opened.text())).toEqual(res.body.responseEncryptionKey);
    });

    it.each([
      ['an issuer client without issuerId', { role: 'issuer' }, '/body/issuerId'],
      ['a wallet with an issuerId', { role: 'wallet', issuerId: 'iss_bankA0001Sandbox01' }, '/body/issuerId'],
      ['private_key_jwt without a signing key', { role: 'wallet', tokenEndpointAuthMethod: 'private_key_jwt' }, '/body/jwks'],
      ['allowedChannels on an acquirer', { role: 'acquirer', allowedChannels: ['nfc'] }, '/body/allowedChannels'],
      ['merchantIds on a wallet', { role: 'wallet', merchantIds: ['m-1'] }, '/body/merchantIds'],
      ['response encryption on a wallet', { role: 'wallet', responseEncryption: { alg: 'A256GCMKW' } }, '/body/responseEncryption'],
      ['RSA-OAEP-256 without an RSA key', { role: 'acquirer', responseEncryption: { alg: 'RSA-OAEP-256' } }, '/body/jwks'],
    ])('refuses %s with validation_failed', async (_name, body, path) => {
      const res = await post('/v1/admin/clients', { name: 'X', tokenEndpointAuthMethod: 'client_secret_basic', ...body });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    });

    it('refuses an issuer client for an unknown issuer with issuer_not_found', async () => {
      const res = await post('/v1/admin/clients', { role: 'issuer', name: 'X', issuerId: 'iss_NoSuchIssuer000000000', tokenEndpointAuthMethod: 'client_secret_basic' });
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('issuer_not_found');
    });

    it('registers a private_key_jwt client with its JWKS', async () => {
      const keys = KeySet.create();
      await keys.generate('ES256');
      const res = await post('/v1/admin/clients', { role: 'wallet', name: 'PKJ', tokenEndpointAuthMethod: 'private_key_jwt', jwks: keys.toPublicJwks() });
      expect(res.status).toBe(201);
      expect(res.body.clientSecret).toBeUndefined();
      expect(res.body.client.jwks).toEqual(keys.toPublicJwks());
    });

    it('answers an unknown client id with client_not_found', async () => {
      for (const res of [
        await request(tsp.url).get('/v1/admin/clients/cli_NoSuchClient00000000').set(bearer(admin)),
        await post('/v1/admin/clients/cli_NoSuchClient00000000/suspend', {}),
      ]) {
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('client_not_found');
      }
    });

    it('lists clients filtered by role and status, paged', async () => {
      const res = await request(tsp.url).get('/v1/admin/clients').query({ role: 'wallet', limit: 1 }).set(bearer(admin));
      expect(res.status).toBe(200);
      expect(res.body.data).toHaveLength(1);
      expect(res.body.data[0].role).toBe('wallet');
      expect(res.body.nextCursor).toEqual(expect.any(String));
      const next = await request(tsp.url).get('/v1/admin/clients').query({ role: 'wallet', limit: 1, cursor: res.body.nextCursor }).set(bearer(admin));
      expect(next.body.data[0].clientId).not.toBe(res.body.data[0].clientId);
      const otherFilter = await request(tsp.url).get('/v1/admin/clients').query({ role: 'admin', cursor: res.body.nextCursor }).set(bearer(admin));
      expect(otherFilter.body.code).toBe('cursor_invalid');
    });

    it('audits every admin change', async () => {
      const created = await post('/v1/admin/clients', { role: 'admin', name: 'Audited', tokenEndpointAuthMethod: 'client_secret_basic' });
      const id = created.body.client.clientId as string;
      await post(`/v1/admin/clients/${id}/suspend`, { comment: 'why not' });
      await post(`/v1/admin/clients/${id}/secrets`, {});
      const rows = await tsp.db.db.selectFrom('audit_entries').selectAll().where('subject_id', '=', id).orderBy('pk').execute();
      expect(rows.map((r) => [r.action, r.actor])).toEqual([
        ['client.create', { type: 'client', clientId: parties.admin.clientId }],
        ['client.suspend', { type: 'client', clientId: parties.admin.clientId }],
        ['client.secret_rotate', { type: 'client', clientId: parties.admin.clientId }],
      ]);
      expect(JSON.stringify(rows)).not.toContain(created.body.clientSecret);
    });
  });

  // Found by the contract fuzzer (seed 1400050033): both answered 500 internal_error.
  it('refuses a comment holding a card number, or a lone surrogate, with a 400 problem, and changes nothing', async () => {
    const created = await post('/v1/admin/clients', { role: 'admin', name: 'Commented', tokenEndpointAuthMethod: 'client_secret_basic' });
    const id = created.body.client.clientId as string;
    const pan = '6221269900007890000'; // Luhn-valid, 19 digits
    const withPan = await post(`/v1/admin/clients/${id}/suspend`, { comment: `card ${pan} reported lost` });
    expect({ status: withPan.status, code: withPan.body.code }).toEqual({ status: 400, code: 'validation_failed' });
    expect(withPan.text).not.toContain(pan);
    expect(withPan.body.detail).toMatch(/card number/);
    // A UTF-16 surrogate with no partner is not Unicode (RFC 7493, I-JSON): no text field may hold one.
    const lone = await request(tsp.url).post(`/v1/admin/clients/${id}/suspend`).set(bearer(admin)).set('Content-Type', 'application/json').send('{"comment":"\\ud800"}');
    expect({ status: lone.status, code: lone.body.code }).toEqual({ status: 400, code: 'validation_failed' });
    expect(lone.body.detail).toMatch(/surrogate/);
    // A pair is a character like any other.
    const pair = await request(tsp.url).post(`/v1/admin/clients/${id}/suspend`).set(bearer(admin)).set('Content-Type', 'application/json').send('{"comment":"ok \\ud83d\\ude00"}');
    expect(pair.status).toBe(200);
    const rows = await tsp.db.db.selectFrom('audit_entries').select(['action', 'details']).where('subject_id', '=', id).orderBy('pk').execute();
    expect(rows).toEqual([
      { action: 'client.create', details: expect.anything() },
      { action: 'client.suspend', details: { comment: 'ok \u{1F600}' } },
    ]);
  });

  it('lists the token requestors an issuer may push to: active wallets and cof merchants by name', async () => {
    const suspended = await createTestClient(tsp, { role: 'wallet', name: 'AAA Suspended Wallet' });
    await tsp.services.identity.clients.suspend({ actor: { type: 'system' } }, suspended.clientId);
    const issuerToken = await tokenFor(tsp, parties.issuerClient);
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await request(tsp.url).get('/v1/issuer/token-requestors').query({ limit: 2, ...(cursor ? { cursor } : {}) }).set(bearer(issuerToken));
      expect(res.status).toBe(200);
      for (const r of res.body.data) expect(r).toMatchObject({ trid: expect.stringMatching(/^[0-9]{11}$/), kind: expect.stringMatching(/^(wallet|cof_merchant)$/) });
      names.push(...res.body.data.map((r: { name: string }) => r.name));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(names).not.toContain('AAA Suspended Wallet');
    expect(names).toEqual(expect.arrayContaining(['Test wallet', 'W1', 'M1']));
    expect([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(names);
  });

  it('propagates a suspension to another process at once (NOTIFY), without a request-path query', async () => {
    const other: IdentityServices = await createIdentityServices(tsp.ctx, tsp.services.vault, createAuditLog(tsp.db.db, tsp.logger));
    try {
      const wallet = await createTestClient(tsp, { role: 'wallet', name: 'Cross-process' });
      const token = await tokenFor(tsp, wallet);
      await waitFor(() => other.registry.getClient(wallet.clientId) !== undefined);
      expect(other.authenticator.authenticate(token).clientId).toBe(wallet.clientId);
      await tsp.services.identity.clients.suspend({ actor: { type: 'system' } }, wallet.clientId);
      await waitFor(() => other.registry.isSuspended(wallet.clientId));
      expect(() => other.authenticator.authenticate(token)).toThrow(expect.objectContaining({ code: 'client_suspended' }));
    } finally {
      await other.close();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
