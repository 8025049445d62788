import request from 'supertest';
import { PersistentKeyRing } from '../../src/vault/persistent-key-ring';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

describe('the TSP key ring (JWKS)', () => {
  let tsp: TestTsp;
  beforeAll(async () => {
    tsp = await startTestTsp();
  });
  afterAll(async () => {
    await tsp.close();
  });

  /** Another TSP process on the same database, on a clock the test moves (no sleeping). */
  let otherClock = Date.now();
  const otherProcess = async (graceMs = 3_600_000) => {
    const ring = new PersistentKeyRing(tsp.db.db, tsp.services.vault.envelope, tsp.services.audit, tsp.logger, graceMs, () => new Date(otherClock));
    await ring.initialise();
    return ring;
  };

  it('publishes one ES256 sig key and RSA-OAEP-256 and ECDH-ES+A256KW enc keys, public members only, cacheable', async () => {
    const res = await request(tsp.url).get('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    const keys = res.body.keys as Array<Record<string, string>>;
    expect(keys.map((k) => [k.kty, k.use, k.alg]).sort()).toEqual([
      ['EC', 'enc', 'ECDH-ES+A256KW'],
      ['EC', 'sig', 'ES256'],
      ['RSA', 'enc', 'RSA-OAEP-256'],
    ]);
    for (const key of keys) {
      expect(key.kid).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
    }
    expect(keys.find((k) => k.use === 'sig')?.kid).toBe(tsp.services.vault.keyRing.signingKey().kid);
  });

  it('keeps the private keys in the database only sealed', async () => {
    const rows = await tsp.db.db.selectFrom('tsp_keys').select(['kid', 'sealed_jwk']).execute();
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.sealed_jwk).toMatch(/^ev1\.dek_/);
      expect(row.sealed_jwk).not.toMatch(/"d"|"kty"/);
    }
  });

  it('shares its keys with every process on the database', async () => {
    const other = await otherProcess();
    expect(other.signingKey().kid).toBe(tsp.services.vault.keyRing.signingKey().kid);
    expect(other.publicJwks()).toEqual(tsp.services.vault.keyRing.publicJwks());
  });

  it('rotates: new keys current at once, old ones still published; another process picks the rotation up on an unknown kid', async () => {
    const other = await otherProcess();
    const before = tsp.services.vault.keyRing.signingKey().kid;
    const rotation = await tsp.services.vault.keys.rotateTspKeys({ type: 'cli' });
    expect(rotation.superseded).toContain(before);
    const after: string = tsp.services.vault.keyRing.signingKey().kid;
    expect(after).toBe(rotation.current.ES256);
    expect(after).not.toBe(before);
    const published = tsp.services.vault.keyRing.publicJwks().keys.map((k) => k.kid);
    expect(published).toHaveLength(6);
    expect(published).toEqual(expect.arrayContaining([before, after]));
    // The other process has not refreshed yet; meeting the new kid makes it reload once.
    expect(other.decryptionKeys().has(after)).toBe(false);
    // Unknown-kid reloads are throttled (at most one a second); the other process loaded its
    // ring just now: within the window it does not reload, once the window passed it does.
    expect(await other.ensureKid(after as string)).toBe(false);
    otherClock += 1_100;
    expect(await other.ensureKid(after as string)).toBe(true);
    expect(other.signingKey().kid).toBe(after);
    // A made-up kid right after does not cause another reload.
    expect(await other.ensureKid('no-such-kid')).toBe(false);
  });

  it('retires superseded keys after the grace period and crypto-shreds them', async () => {
    const ring = tsp.services.vault.keyRing;
    const published = ring.publicJwks().keys.map((k) => k.kid as string);
    const current = new Set(
      (await tsp.db.db.selectFrom('tsp_keys').select('kid').where('status', '=', 'current').execute()).map((r) => r.kid),
    );
    const retired = await tsp.services.vault.keys.retireTspKeys(new Date(Date.now() + 400 * 24 * 3600_000));
    expect(retired.sort()).toEqual(published.filter((kid) => !current.has(kid)).sort());
    expect(ring.publicJwks().keys.map((k) => k.kid).sort()).toEqual([...current].sort());
    const rows = await tsp.db.db.selectFrom('tsp_keys').selectAll().where('status', '=', 'retired').execute();
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row.sealed_jwk).toBeNull();
    await tsp.services.audit.flush();
    const audit = await tsp.db.db.selectFrom('audit_entries').select('action').where('action', 'like', 'tsp_key.%').execute();
    expect(audit.map((a) => a.action).sort()).toEqual(['tsp_key.retire', 'tsp_key.retire', 'tsp_key.retire', 'tsp_key.rotate']);
  });
});
