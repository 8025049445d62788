import { sql } from 'kysely';
import { startBackgroundWork } from '../../src/compose';
import type { StopFn } from '../../src/context';
import { RENEWAL_TASK } from '../../src/domain/tokens/token-expiry';
import { jobQueueRepository } from '../../src/store/job-queue.repository';
import { createTestParties, type TestParties } from '../../../../test/support/clients';
import { startTestTsp, type TestTsp } from '../../../../test/support/tsp-harness';
import { createTokenFixture, type TokenFixture } from '../payments/payment-fixtures';
import { eventually } from '../webhooks/support/webhook-receiver';

/*
 * The scheduled token expiry renewal (issue 20, DESIGN §2 flow 5): a token nearing its own
 * expiry whose card runs longer gets a new expiry, announced once as `token.updated`. The
 * service's calendar clock is moved to just before the token's expiry (no real waiting).
 * The fixture's cards expire 11/2032.
 */

type Expiry = { month: number; year: number };
const DAY_MS = 86_400_000;
const REAL_START = new Date();

function monthsFrom(at: Date, months: number): Expiry {
  const index = at.getUTCFullYear() * 12 + at.getUTCMonth() + months;
  return { month: (index % 12) + 1, year: Math.floor(index / 12) };
}

function endOf(expiry: Expiry): Date {
  return new Date(Date.UTC(expiry.year, expiry.month, 1));
}

describe('scheduled token expiry renewal', () => {
  let now = REAL_START;
  let tsp: TestTsp;
  let parties: TestParties;
  const nearing = monthsFrom(REAL_START, 12);

  beforeAll(async () => {
    tsp = await startTestTsp({ LOG_LEVEL: 'warn', OPENTSP_WEBHOOK_POLL_INTERVAL_MS: '50' }, { clock: () => now });
    parties = await createTestParties(tsp);
  });
  afterAll(async () => {
    await tsp?.close();
  });

  function token(options: { tokenExpiry: Expiry; status?: 'ACTIVE' | 'DELETED' }): Promise<TokenFixture> {
    return createTokenFixture(tsp, parties.issuer, { trid: parties.wallet.client.trid!, requestorClientId: parties.wallet.clientId, ...options });
  }

  async function stored(tokenRef: string) {
    return tsp.db.db
      .selectFrom('tokens')
      .select(['token_exp_month', 'token_exp_year', 'previous_token_exp_month', 'previous_token_exp_year', 'token_expiry_changed_at'])
      .where('token_ref', '=', tokenRef)
      .executeTakeFirstOrThrow();
  }

  async function announcements(tokenRef: string) {
    const events = await tsp.db.db.selectFrom('webhook_events').select('body').where('token_ref', '=', tokenRef).where('type', '=', 'token.updated').execute();
    return events.map((e) => JSON.parse(e.body).data);
  }

  it('renews a token nearing its expiry once and announces it once, even with two workers at the same time', async () => {
    const t = await token({ tokenExpiry: nearing });
    now = new Date(endOf(nearing).getTime() - 10 * DAY_MS);
    // The card (11/2032) runs longer than three years from now: the cap applies.
    const renewedTo = monthsFrom(now, 36);
    expect(renewedTo.year * 12 + renewedTo.month).toBeLessThan(2032 * 12 + 11);

    const counts = await Promise.all([tsp.services.tokens.renewExpiringTokens(), tsp.services.tokens.renewExpiringTokens()]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await stored(t.tokenRef)).toEqual({
      token_exp_month: renewedTo.month,
      token_exp_year: renewedTo.year,
      previous_token_exp_month: nearing.month,
      previous_token_exp_year: nearing.year,
      token_expiry_changed_at: now,
    });
    const [announced, ...more] = await announcements(t.tokenRef);
    expect(more).toEqual([]);
    expect(announced).toMatchObject({ previousTokenExpiry: nearing, tokenExpiry: renewedTo, token: { tokenRef: t.tokenRef, tokenExpiry: renewedTo }, cause: { actor: 'tsp' } });
    const audit = await tsp.db.db.selectFrom('audit_entries').select('details').where('action', '=', 'token.update').where('subject_id', '=', t.tokenRef).execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.details).toMatchObject({ trigger: 'renewal', previousTokenExpiry: nearing, tokenExpiry: renewedTo });
    // The bank's console history says what happened.
    const bank = { clientId: parties.issuerClient.clientId, role: 'issuer' as const, issuerId: parties.issuer.issuerId, scopes: [] };
    const history = await tsp.services.tokens.issuerTokenHistory(bank, t.tokenRef, { limit: 50 });
    expect(history.data.map((e) => e.summary)).toContain('Token expiry renewed before it ran out (the card runs longer)');

    // A retry of the job finds nothing left to do.
    expect(await tsp.services.tokens.renewExpiringTokens()).toBe(0);
    expect(await announcements(t.tokenRef)).toHaveLength(1);
  });

  it('leaves alone a token far from its expiry, a deleted token, and a token whose card expires with it', async () => {
    const far = await token({ tokenExpiry: monthsFrom(now, 6) });
    const deleted = await token({ tokenExpiry: monthsFrom(now, 0), status: 'DELETED' });
    const lastOfItsCard = await token({ tokenExpiry: monthsFrom(now, 0) });
    const cardEnds = monthsFrom(now, 0);
    await tsp.db.db.updateTable('cards').set({ exp_month: cardEnds.month, exp_year: cardEnds.year }).where('card_ref', '=', lastOfItsCard.cardRef).execute();

    expect(await tsp.services.tokens.renewExpiringTokens()).toBe(0);
    for (const t of [far, deleted, lastOfItsCard]) {
      expect(await stored(t.tokenRef)).toMatchObject({ token_exp_month: t.tokenExpiry.month, token_exp_year: t.tokenExpiry.year, previous_token_exp_month: null });
      expect(await announcements(t.tokenRef)).toEqual([]);
    }
  });

  it('queues the next run at once when a run spends its budget with tokens left', async () => {
    const refs = (await Promise.all([0, 1, 2].map(() => token({ tokenExpiry: monthsFrom(now, 0) })))).map((t) => t.tokenRef);
    const queued = async () =>
      (await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs where task_identifier = ${RENEWAL_TASK}`.execute(tsp.db.db)).rows[0]?.n;

    expect(await tsp.services.tokens.renewExpiringTokens({ batchSize: 2, maxBatches: 1 })).toBe(2);
    expect(await queued()).toBe(1);
    expect(await tsp.services.tokens.renewExpiringTokens({ batchSize: 2, maxBatches: 1 })).toBe(1);
    expect(await queued()).toBe(1);
    for (const ref of refs) expect((await stored(ref)).previous_token_exp_month).not.toBeNull();
  });

  it('runs on the service job worker: the hourly schedule is registered and a queued run renews', async () => {
    const t = await token({ tokenExpiry: monthsFrom(now, 0) });
    let stop: StopFn | undefined;
    try {
      stop = startBackgroundWork(tsp.services);
      const known = await eventually(async () => {
        const rows = await sql<{ identifier: string }>`select identifier from graphile_worker._private_known_crontabs`.execute(tsp.db.db);
        return rows.rows.some((r) => r.identifier === RENEWAL_TASK) ? true : undefined;
      });
      expect(known).toBe(true);
      await jobQueueRepository.add(tsp.db.db, { task: RENEWAL_TASK, payload: {} });
      const renewed = await eventually(async () => ((await stored(t.tokenRef)).previous_token_exp_month !== null ? stored(t.tokenRef) : undefined));
      expect(renewed).toMatchObject({ token_exp_month: monthsFrom(now, 36).month, token_exp_year: monthsFrom(now, 36).year });
    } finally {
      await stop?.();
    }
  });
});
