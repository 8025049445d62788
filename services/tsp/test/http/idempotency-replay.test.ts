import request from 'supertest';
import { sql } from 'kysely';
import { bearer, createTestClient, createTestParties, tokenFor, type TestClient, type TestParties } from '../../../../test/support/clients';
import { encryptCardFor, provisionBody, testPan } from '../../../../test/support/issuer-sim-harness';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';
import { startBackgroundWork } from '../../src/compose';
import { IDEMPOTENCY_PURGE_TASK } from '../../src/http/idempotency-store';
import { storedKey as storedKeyOf } from '../../src/store/idempotency.repository';
import { auditEntriesOf, createTokenFixture, type TokenFixture } from '../payments/payment-fixtures';

const MERCHANT = '898310048160001';
const PURCHASE = { amount: 4200, currency: 'CNY', merchantId: MERCHANT, channel: 'nfc', unpredictableNumber: '1B2C3D4E' } as const;
const YEAR = new Date().getUTCFullYear();

let tsp: TestTsp;
let parties: TestParties;
let acquirer: TestClient;
const accessTokens = new Map<string, string>();

async function auth(client: TestClient): Promise<{ Authorization: string }> {
  let token = accessTokens.get(client.clientId);
  if (!token) accessTokens.set(client.clientId, (token = await tokenFor(tsp, client)));
  return bearer(token);
}

beforeAll(async () => {
  tsp = await startTestTsp();
  parties = await createTestParties(tsp);
  acquirer = await createTestClient(tsp, { role: 'acquirer', merchantIds: [MERCHANT], responseEncryption: { alg: 'A256GCMKW' } });
});

afterAll(async () => {
  await tsp?.services.identity.close();
  await tsp?.close();
});

/** The stored record of a key, as text (what a database dump would show). */
async function storedRows(): Promise<string> {
  const rows = await sql<{ row: string }>`select row_to_json(k)::text as row from idempotency_keys k`.execute(tsp.db.db);
  return rows.rows.map((r) => r.row).join('\n');
}

describe('provisioning repeated with the same Idempotency-Key (issue 16: the SDK promise across app restarts)', () => {
  it('replays the first answer when the same card comes freshly encrypted (a new JWE each time)', async () => {
    const pan = testPan(parties.issuer.cardBinRanges[0]!.prefix);
    const card = { pan, expMonth: 9, expYear: YEAR + 3, cvv2: '123' };
    const body = provisionBody('', { walletAccountId: 'wa_restart_1', device: { id: 'dev_restart_1', type: 'phone', os: 'android' } });
    const provision = async () =>
      request(tsp.url)
        .post('/v1/tokens')
        .set(await auth(parties.wallet))
        .set('Idempotency-Key', 'add-card-restart-1')
        .send({ ...body, encryptedCard: await encryptCardFor(tsp.url, card) });

    const first = await provision();
    expect(first.status).toBe(201);
    // The app restarted: it encrypts the same card again (fresh CEK, IV, ephemeral key).
    const again = await provision();
    expect({ status: again.status, replayed: again.headers['idempotent-replayed'] }).toEqual({ status: 201, replayed: 'true' });
    expect(again.body).toEqual(first.body);
    const tokens = await tsp.db.db.selectFrom('tokens').select('token_ref').where('wallet_account_id', '=', 'wa_restart_1').execute();
    expect(tokens).toHaveLength(1);
    expect(await storedRows()).not.toContain(pan);
  });

  it('refuses the same key with another card: 422 idempotency_key_reused', async () => {
    const prefix = parties.issuer.cardBinRanges[0]!.prefix;
    const body = provisionBody('', { walletAccountId: 'wa_restart_2' });
    const provision = async (pan: string) =>
      request(tsp.url)
        .post('/v1/tokens')
        .set(await auth(parties.wallet))
        .set('Idempotency-Key', 'add-card-restart-2')
        .send({ ...body, encryptedCard: await encryptCardFor(tsp.url, { pan, expMonth: 9, expYear: YEAR + 3 }) });
    expect((await provision(testPan(prefix, '411'))).status).toBe(201);
    const other = await provision(testPan(prefix, '522'));
    expect({ status: other.status, code: other.body.code }).toEqual({ status: 422, code: 'idempotency_key_reused' });
  });
});

describe('a detokenization answer (card data) stored for replay (issue 20)', () => {
  async function tokenWithCredentials(): Promise<{ token: TokenFixture; body: Record<string, unknown> }> {
    const token = await createTokenFixture(tsp, parties.issuer, { trid: parties.wallet.client.trid!, requestorClientId: parties.wallet.clientId });
    const res = await request(tsp.url).post(`/v1/tokens/${token.tokenRef}/cryptograms`).set(await auth(parties.wallet)).send(PURCHASE);
    expect(res.status).toBe(201);
    const c = res.body as { tokenPan: string; tokenExpiry: unknown; cryptogram: string; atc: number; transaction: Record<string, unknown> };
    return { token, body: { tokenPan: c.tokenPan, tokenExpiry: c.tokenExpiry, cryptogram: c.cryptogram, atc: c.atc, transaction: c.transaction } };
  }
  const detokenize = async (key: string, body: Record<string, unknown>) =>
    request(tsp.url).post('/v1/detokenize').set(await auth(acquirer)).set('Idempotency-Key', key).send(body);

  it('replays the answer to the acquirer and audits the replay', async () => {
    const { token, body } = await tokenWithCredentials();
    const first = await detokenize('detok-replay-1', body);
    expect(first.status).toBe(200);
    const replay = await detokenize('detok-replay-1', body);
    expect({ status: replay.status, replayed: replay.headers['idempotent-replayed'] }).toEqual({ status: 200, replayed: 'true' });
    expect(replay.body).toEqual(first.body);
    expect(await auditEntriesOf(tsp, replay.headers['x-request-id'] as string)).toEqual([
      expect.objectContaining({
        action: 'detokenize',
        outcome: 'success',
        subject_type: 'token',
        subject_id: token.tokenRef,
        actor: { type: 'client', clientId: acquirer.clientId },
        details: expect.objectContaining({ replayed: true, decisionId: first.body.decisionId }),
      }),
    ]);
  });

  it('dies with the card: after the card is deleted, a replay gives no card data and is refused and audited', async () => {
    const { token, body } = await tokenWithCredentials();
    expect((await detokenize('detok-replay-2', body)).status).toBe(200);
    const deleted = await request(tsp.url)
      .post(`/v1/issuer/cards/${token.cardRef}/delete`)
      .set(await auth(parties.issuerClient))
      .send({ reason: 'account_closed' });
    expect(deleted.status).toBe(200);

    const replay = await detokenize('detok-replay-2', body);
    expect(replay.body.encryptedCard).toBeUndefined();
    expect({ status: replay.status, code: replay.body.code, replayed: replay.headers['idempotent-replayed'] }).toEqual({
      status: 409,
      code: 'token_deleted',
      replayed: undefined,
    });
    expect(await auditEntriesOf(tsp, replay.headers['x-request-id'] as string)).toEqual([
      expect.objectContaining({ action: 'detokenize', outcome: 'denied', details: expect.objectContaining({ code: 'token_deleted' }) }),
    ]);
  });
});

describe('expired answers are purged by a scheduled job (DESIGN §4)', () => {
  /** Polls `probe` until it holds (work of the job worker, not time, is awaited). */
  async function eventually(probe: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if (await probe()) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('condition not reached');
  }

  it('is scheduled in the job worker (graphile cron) and deletes what is past retention, only that', async () => {
    const repo = tsp.services.idempotency;
    for (const key of ['purge-old', 'purge-fresh']) {
      await repo.begin('cli_purge', key, 'h');
      await repo.complete('cli_purge', key, 201, { ok: true });
    }
    await sql`update idempotency_keys set expires_at = now() - interval '1 minute' where client_id = 'cli_purge' and key = ${storedKeyOf('purge-old')}`.execute(tsp.db.db);

    const stop = startBackgroundWork(tsp.services);
    try {
      await eventually(async () => {
        const known = await sql<{ identifier: string }>`select identifier from graphile_worker._private_known_crontabs`.execute(tsp.db.db);
        return known.rows.some((r) => r.identifier === IDEMPOTENCY_PURGE_TASK);
      });
      // Run the scheduled task now rather than wait for its slot.
      await sql`select graphile_worker.add_job(${IDEMPOTENCY_PURGE_TASK})`.execute(tsp.db.db);
      const left = async () =>
        (await tsp.db.db.selectFrom('idempotency_keys').select('key').where('client_id', '=', 'cli_purge').execute()).map((r) => r.key);
      await eventually(async () => (await left()).length === 1);
      expect(await left()).toEqual([storedKeyOf('purge-fresh')]);
    } finally {
      await stop();
    }
  });
});
