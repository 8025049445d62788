import { sql } from 'kysely';
import type { TokenRow } from './tokens.repository';
import type { Executor } from './transaction';

export interface Expiry {
  month: number;
  year: number;
}

/** A live token nearing its expiry, with its funding card's (clear) expiry. */
export type ExpiringToken = TokenRow & { card_exp_month: number; card_exp_year: number };

/** Month index of an expiry column pair, the expression migrations/0017 indexes. */
const tokenMonth = sql<number>`t.token_exp_year * 12 + t.token_exp_month - 1`;

/** Token expiry changes (card reissue, scheduled renewal; DESIGN §2 flow 5). */
export const tokenExpiryRepository = {
  /**
   * Sets a token's expiry, keeping the one it replaces and when (detokenization accepts the
   * previous expiry for a grace window). The caller holds the row lock and has checked that
   * the expiry differs.
   */
  async renew(executor: Executor, tokenRef: string, next: Expiry, changedAt: Date): Promise<TokenRow> {
    return executor
      .updateTable('tokens')
      .set({
        previous_token_exp_month: sql<number>`token_exp_month`,
        previous_token_exp_year: sql<number>`token_exp_year`,
        token_exp_month: next.month,
        token_exp_year: next.year,
        token_expiry_changed_at: changedAt,
        updated_at: sql<Date>`now()`,
      })
      .where('token_ref', '=', tokenRef)
      .returningAll()
      .executeTakeFirstOrThrow();
  },

  /**
   * Up to `limit` live tokens whose expiry month index is at most `horizonMonth` and whose card
   * now expires later than the token (so renewal changes something), locked for the caller's
   * transaction. Rows another worker holds are skipped (SKIP LOCKED): when it commits, their
   * renewed expiry no longer matches, so no token is renewed or announced twice.
   */
  async expiringWithLaterCard(executor: Executor, horizonMonth: number, limit: number): Promise<ExpiringToken[]> {
    const result = await sql<ExpiringToken>`
      select t.*, c.exp_month::int as card_exp_month, c.exp_year::int as card_exp_year
      from tokens t
      join cards c on c.card_ref = t.card_ref and c.status = 'active'
      where t.status <> 'DELETED'
        and ${tokenMonth} <= ${horizonMonth}
        and c.exp_year * 12 + c.exp_month - 1 > ${tokenMonth}
      order by ${tokenMonth}, t.token_ref
      limit ${limit}
      for update of t skip locked`.execute(executor);
    return result.rows;
  },
};
