import type { PushConfig } from '../../config';
import { pushReceiptsRepository } from '../../store/push-receipts.repository';
import type { Executor } from '../../store/transaction';
import { TspError } from '../errors';

/** 429 `rate_limited` once a token requestor spent its failed-redemption budget. */
export class RedemptionBudgetError extends TspError {
  override readonly name = 'RedemptionBudgetError';

  constructor(readonly retryAfterSeconds: number) {
    super('rate_limited', `Too many failed push-receipt redemptions; retry in ${retryAfterSeconds} seconds.`);
  }
}

/**
 * Bounds push-receipt guessing (DESIGN §5): every failed redemption of a token requestor
 * counts in a fixed window shared by all TSP processes (a Postgres counter); once the window
 * holds `redeemFailureBudget` failures, every redemption by that requestor, even of a valid
 * receipt, is refused with 429 until the window ends. With 256-bit receipts and, say, 20
 * tries per 10 minutes, a guess succeeds with probability ~2^-251 per window.
 */
export class RedemptionBudget {
  constructor(private readonly config: Pick<PushConfig, 'redeemFailureBudget' | 'redeemWindowSeconds'>) {}

  /** @throws RedemptionBudgetError when the requestor's budget for the current window is spent. */
  async check(executor: Executor, trid: string, now: Date = new Date()): Promise<void> {
    const { start, end } = this.#window(now);
    const failures = await pushReceiptsRepository.failuresIn(executor, trid, start);
    if (failures >= this.config.redeemFailureBudget) {
      throw new RedemptionBudgetError(Math.max(1, Math.ceil((end.getTime() - now.getTime()) / 1000)));
    }
  }

  /**
   * Counts one failed redemption (one atomic upsert across processes). Returns the error to
   * answer instead of the refusal when this failure is past the budget: concurrent guesses
   * that all passed `check` get their answer from their place in the count, so no more than
   * `redeemFailureBudget` failures per window are ever answered as such.
   */
  async recordFailure(tx: Executor, trid: string, now: Date = new Date()): Promise<RedemptionBudgetError | undefined> {
    const { start, end } = this.#window(now);
    const failures = await pushReceiptsRepository.recordFailure(tx, trid, start, new Date(start.getTime() - this.#windowMs()));
    if (failures <= this.config.redeemFailureBudget) return undefined;
    return new RedemptionBudgetError(Math.max(1, Math.ceil((end.getTime() - now.getTime()) / 1000)));
  }

  #windowMs(): number {
    return this.config.redeemWindowSeconds * 1000;
  }

  #window(now: Date): { start: Date; end: Date } {
    const size = this.#windowMs();
    const start = Math.floor(now.getTime() / size) * size;
    return { start: new Date(start), end: new Date(start + size) };
  }
}
