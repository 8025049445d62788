import { decryptJson, KeySet } from '@opentsp/crypto';
import { sql } from 'kysely';
import { SANDBOX_CARD_KEY, SANDBOX_CARD_PUBLIC_KEY } from '../../services/issuer-sim/src';
import { SANDBOX_ISSUER_CARD_KEY } from '../../services/tsp/src/domain/identity/sandbox-bootstrap';
import { bearer, createTestIssuer } from '../support/clients';
import { encryptCardFor, provisionBody, startProvisioningWorld, testPan, type ProvisioningWorld } from '../support/issuer-sim-harness';

/*
 * Card verification at provisioning, tried as an attacker with a stolen card number would:
 * TSP (real HTTP, real Postgres) → issuer-sim deciding over HTTP with its own card records.
 * A card number alone must never be worth an ACTIVE token, nor reveal the card's expiry.
 */

const YEAR = new Date().getUTCFullYear();

describe('card verification at provisioning', () => {
  let w: ProvisioningWorld;
  beforeAll(async () => {
    w = await startProvisioningWorld({ env: { OPENTSP_ISSUER_TIMEOUT_MS: '300' } });
  });
  afterAll(async () => {
    await w?.close();
  });

  type Card = { pan: string; expMonth: number; expYear: number; cvv2?: string };

  async function provision(card: Card, overrides: Record<string, unknown> = {}) {
    const encryptedCard = await encryptCardFor(w.tsp.url, card);
    const res = await fetch(`${w.tsp.url}/v1/tokens`, {
      method: 'POST',
      headers: { ...bearer(w.walletToken), 'content-type': 'application/json' },
      body: JSON.stringify(provisionBody(encryptedCard, overrides)),
    });
    return { status: res.status, text: await res.text() };
  }

  /** A card the bank holds a record of (expiry and CVV2 `123`); each test its own last 4, so counts are per card. */
  function issuerKnownCard(last3: string): Card & { cvv2: string } {
    const card = { pan: testPan(w.cardPrefix, last3), expMonth: 12, expYear: YEAR + 3, cvv2: '123' };
    w.sim.state.cards.add(card);
    return card;
  }

  const tokensOf = async (pan: string) =>
    (await sql<{ n: number }>`select count(*)::int as n from tokens t join cards c on c.card_ref = t.card_ref where c.pan_last4 = ${pan.slice(-4)} and t.issuer_id = ${w.issuer.issuerId}`.execute(w.tsp.db.db)).rows[0]?.n;

  it('sends PAN, expiry and CVV2 to the issuer only as a JWE to its registered enc key', async () => {
    const card = issuerKnownCard('571');
    const res = await provision(card);
    expect(res.status).toBe(201);
    expect(JSON.parse(res.text)).toMatchObject({ status: 'ACTIVE' });

    const request = w.sim.state.decisionRequests.at(-1) as Record<string, unknown>;
    expect(typeof request.encryptedCard).toBe('string');
    const { value, header } = await decryptJson(request.encryptedCard as string, await KeySet.fromJson({ keys: [SANDBOX_CARD_KEY] }), { algorithms: ['RSA-OAEP-256'] });
    expect(header).toMatchObject({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: SANDBOX_CARD_KEY.kid });
    expect(value).toEqual({ pan: card.pan, expMonth: card.expMonth, expYear: card.expYear, cvv2: card.cvv2 });
    // Nothing of it in clear: no PAN, no CVV2 member, no expiry next to it.
    expect(JSON.stringify(request)).not.toContain(card.pan);
    expect(JSON.stringify(request)).not.toMatch(/cvv2|expMonth/);
  });

  it('never yields an ACTIVE token for an issuer-known card sent with a wrong expiry (422 card_verification_failed)', async () => {
    const card = issuerKnownCard('572');
    const res = await provision({ ...card, expMonth: 11 });
    expect(res.status).toBe(422);
    expect(JSON.parse(res.text)).toMatchObject({ code: 'card_verification_failed' });
    expect(await tokensOf(card.pan)).toBe(0);
  });

  it('never yields an ACTIVE token for an issuer-known card sent with a wrong CVV2', async () => {
    const card = issuerKnownCard('573');
    const res = await provision({ ...card, cvv2: '999' });
    expect(res.status).toBe(422);
    expect(JSON.parse(res.text)).toMatchObject({ code: 'card_verification_failed' });
    expect(await tokensOf(card.pan)).toBe(0);
  });

  it('never approves a manually entered card without CVV2: at best an INACTIVE token with step-up', async () => {
    const { cvv2: _omitted, ...card } = issuerKnownCard('574');
    const res = await provision(card);
    expect(res.status).toBe(201);
    expect(JSON.parse(res.text)).toMatchObject({ status: 'INACTIVE', assuranceMethod: '00', verification: { required: true } });
  });

  it('refuses a vaulted card sent with another expiry: 422 card_verification_failed, audited, counted, stored expiry not shown', async () => {
    const pan = testPan(w.cardPrefix, '581'); // the bank has no record: only the TSP's vault knows the expiry
    const first = await provision({ pan, expMonth: 6, expYear: YEAR + 3, cvv2: '123' });
    expect(JSON.parse(first.text)).toMatchObject({ status: 'ACTIVE', card: { expiry: { month: 6, year: YEAR + 3 } } });

    const guess = await provision({ pan, expMonth: 7, expYear: YEAR + 4, cvv2: '123' }, { walletAccountId: 'wa_attacker_1' });
    expect(guess.status).toBe(422);
    expect(JSON.parse(guess.text)).toMatchObject({ code: 'card_verification_failed' });
    // Nothing of the stored expiry (6 / YEAR + 3) comes back to the guesser.
    expect(guess.text).not.toMatch(/"month"|"year"/);
    expect(guess.text).not.toContain(String(YEAR + 3));
    expect(await tokensOf(pan)).toBe(1);

    const audit = await w.tsp.db.db.selectFrom('audit_entries').select(['outcome', 'details']).where('action', '=', 'token.provision').where('outcome', '=', 'denied').orderBy('pk', 'desc').executeTakeFirstOrThrow();
    expect(audit.details).toMatchObject({ stage: 'card_verification', reasonCode: 'card_verification_failed' });
    expect(JSON.stringify(audit.details)).not.toMatch(/"month"|"year"|expMonth|expYear/);
    const counted = await sql<{ n: number }>`select coalesce(sum(count), 0)::int as n from risk_velocity where key like 'cvf:card:%'`.execute(w.tsp.db.db);
    expect(counted.rows[0]?.n).toBeGreaterThanOrEqual(1);
  });

  describe('an issuer without a registered enc key, whose stand-in is approve', () => {
    let issuerPrefix: string;
    beforeAll(async () => {
      const issuer = await createTestIssuer(w.tsp, { decisionUrl: `${w.sim.url}/decisions`, webhookUrl: `${w.sim.url}/webhooks`, standInDecision: 'approve' });
      issuerPrefix = issuer.cardBinRanges[0]?.prefix as string;
    });

    it('gets decision requests without card data, and its approval becomes a step-up', async () => {
      const pan = testPan(issuerPrefix, '234');
      const res = await provision({ pan, expMonth: 12, expYear: YEAR + 3, cvv2: '123' });
      expect(JSON.parse(res.text)).toMatchObject({ status: 'INACTIVE', verification: { required: true } });
      const request = w.sim.state.decisionRequests.at(-1) as Record<string, unknown>;
      expect(request.panLast4).toBe(pan.slice(-4));
      expect(request.encryptedCard).toBeUndefined();
    });

    it('a stand-in decision never approves a card whose CVV2 nobody checked', async () => {
      w.sim.state.availability = 'down';
      try {
        const res = await provision({ pan: testPan(issuerPrefix, '234'), expMonth: 12, expYear: YEAR + 3, cvv2: '123' });
        expect(res.status).toBe(201);
        expect(JSON.parse(res.text)).toMatchObject({ status: 'INACTIVE', verification: { required: true } });
      } finally {
        w.sim.state.availability = 'up';
      }
    });
  });

  it('never stores or logs the CVV2, neither a right nor a wrong one', async () => {
    const card = { pan: testPan(w.cardPrefix, '591'), expMonth: 12, expYear: YEAR + 3, cvv2: '8642' };
    w.sim.state.cards.add(card);
    expect(JSON.parse((await provision(card)).text)).toMatchObject({ status: 'ACTIVE' });
    expect((await provision({ ...card, cvv2: '8643' }, { walletAccountId: 'wa_code_wrong' })).status).toBe(422);

    // Logs: no cvv2 member with a value, nor the codes next to any card field.
    const logs = w.tsp.logs.text();
    expect(logs).not.toMatch(/cvv2"?\s*[:=]\s*"?[0-9]/i);
    expect(logs).not.toMatch(/"(8642|8643)"/);
    // Database: no text, JSON or bytea value anywhere has a cvv2 member with a value, or either code as a value.
    const columns = await w.tsp.db.pool.query<{ t: string; c: string; type: string }>(
      `select c.table_schema || '.' || c.table_name as t, c.column_name as c, c.data_type as type from information_schema.columns c
         join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
        where c.table_schema not in ('pg_catalog', 'information_schema') and c.data_type in ('text', 'character varying', 'json', 'jsonb', 'bytea')`,
    );
    const hits: string[] = [];
    for (const { t, c, type } of columns.rows) {
      const value = type === 'bytea' ? `encode("${c}", 'escape')` : `"${c}"::text`;
      const [schema, table] = t.split('.');
      const found = await w.tsp.db.pool.query(`select 1 from "${schema}"."${table}" where ${value} ~* 'cvv2"?\\s*:\\s*"?[0-9]' or ${value} ~ '"(8642|8643)"'`);
      if (found.rowCount) hits.push(`${t}.${c}`);
    }
    expect(hits).toEqual([]);
  });

  it('the sandbox TSP registers the issuer-sim sandbox key as the Sandbox Bank enc key', () => {
    expect(SANDBOX_ISSUER_CARD_KEY).toEqual(SANDBOX_CARD_PUBLIC_KEY);
  });
});
