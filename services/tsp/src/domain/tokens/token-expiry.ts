import { jobQueueRepository } from '../../store/job-queue.repository';
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
/**
 * Batches per run: a run must stay well within the job worker's stale-lock time (about 35 s
 * by default, see startJobWorker); a run that stops with tokens left queues the next at once.
 */
const RENEWAL_BATCHES_PER_RUN = 10;
const DAY_MS = 86_400_000;

export interface RenewalOptions {
  batchSize?: number;
  maxBatches?: number;
}

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
export async function renewExpiringTokens(ctx: TokenContext, options: RenewalOptions = {}): Promise<number> {
  const batchSize = options.batchSize ?? RENEWAL_BATCH;
  const maxBatches = options.maxBatches ?? RENEWAL_BATCHES_PER_RUN;
  const now = ctx.clock();
  const horizonMonth = monthIndexOf(new Date(now.getTime() + ctx.expiry.renewalLeadDays * DAY_MS)) - 1;
  const cause: Cause = { actor: 'tsp' };
  let total = 0;
  for (let batch = 1; ; batch += 1) {
    const lastBatch = batch >= maxBatches;
    const { seen, renewed } = await ctx.uow.transaction(async (tx) => {
      const rows = await tokenExpiryRepository.expiringWithLaterCard(tx, horizonMonth, batchSize);
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
      // The run's budget is spent with tokens likely left: the next run is queued with this
      // batch (one pending follow-up at most: the job key), not an hour later.
      if (lastBatch && rows.length === batchSize && count > 0) {
        await jobQueueRepository.add(tx, { task: RENEWAL_TASK, payload: {}, key: `${RENEWAL_TASK}:more` });
      }
      return { seen: rows.length, renewed: count };
    });
    total += renewed;
    // A full batch that changed nothing would be selected again: stop rather than spin.
    if (seen < batchSize || renewed === 0 || lastBatch) return total;
  }
}
