import type { TokenRow } from '../../store/tokens.repository';
import { tokenExpiryRepository, type Expiry } from '../../store/token-expiry.repository';
import type { Executor } from '../../store/transaction';
import { tokenExpiryFor } from '../provisioning/token-domain';
import type { Cause } from './cause';
import type { TokenContext } from './context';
import { recordTokenChange } from './token-events';
import { tokenViews } from './token-reader';

/** A token expiry change, as `token.updated` announces it (`previousTokenExpiry`, `tokenExpiry`). */
export interface ExpiryChange {
  previous: Expiry;
  current: Expiry;
}

/** The job queue task of the scheduled renewal, and its schedule: hourly, one run at a time. */
export const RENEWAL_TASK = 'opentsp_token_expiry_renewal';
export const RENEWAL_CRONTAB = `17 * * * * ${RENEWAL_TASK} ?max=1`;

/** Tokens renewed per transaction (each one a row lock, an audit entry and an outbox event). */
const RENEWAL_BATCH = 100;
const DAY_MS = 86_400_000;

/**
 * Recomputes a token's expiry from its card's (the card's, capped at three years from `now`:
 * `tokenExpiryFor`) and stores it when it changes, keeping the previous one for the grace
 * window of detokenization. The caller holds the token's row lock.
 */
export async function renewTokenExpiry(
  tx: Executor,
  row: TokenRow,
  card: { expMonth: number; expYear: number },
  now: Date,
): Promise<{ row: TokenRow; change?: ExpiryChange }> {
  const current = { month: row.token_exp_month, year: row.token_exp_year };
  const next = tokenExpiryFor(card, now);
  if (next.month === current.month && next.year === current.year) return { row };
  const renewed = await tokenExpiryRepository.renew(tx, row.token_ref, next, now);
  return { row: renewed, change: { previous: current, current: next } };
}

/** Month index (year * 12 + month - 1) of an instant, UTC. */
function monthIndexOf(at: Date): number {
  return at.getUTCFullYear() * 12 + at.getUTCMonth();
}

/**
 * The scheduled renewal (DESIGN §2 flow 5): every live token whose expiry ends within
 * `renewalLeadDays` of the clock and whose card now runs longer gets its expiry renewed, each
 * in the same transaction as its audit entry and its `token.updated` outbox event (cause
 * `tsp`). A token expires at the end of its expiry month, so the horizon is the last month
 * whose end falls before now + lead. Idempotent: a renewed token no longer matches, and rows
 * another process holds are skipped, so two workers never renew or announce one token twice.
 * Returns how many tokens were renewed.
 */
export async function renewExpiringTokens(ctx: TokenContext): Promise<number> {
  const now = ctx.clock();
  const horizonMonth = monthIndexOf(new Date(now.getTime() + ctx.expiry.renewalLeadDays * DAY_MS)) - 1;
  const cause: Cause = { actor: 'tsp' };
  let total = 0;
  for (;;) {
    const { seen, renewed } = await ctx.uow.transaction(async (tx) => {
      const rows = await tokenExpiryRepository.expiringWithLaterCard(tx, horizonMonth, RENEWAL_BATCH);
      let count = 0;
      for (const row of rows) {
        const result = await renewTokenExpiry(tx, row, { expMonth: row.card_exp_month, expYear: row.card_exp_year }, now);
        if (!result.change) continue;
        const [view] = await tokenViews(tx, ctx.ports, [result.row]);
        await recordTokenChange(tx, ctx, {
          row: result.row,
          view: view!,
          events: ['token.updated'],
          action: 'token.update',
          cause,
          expiryChange: result.change,
          details: { trigger: 'renewal' },
        });
        count += 1;
      }
      return { seen: rows.length, renewed: count };
    });
    total += renewed;
    // A full batch that changed nothing would be selected again: stop rather than spin.
    if (seen < RENEWAL_BATCH || renewed === 0) return total;
  }
}
