import type { PushConfig } from '../../config';
import { pushReceiptsRepository } from '../../store/push-receipts.repository';
import type { Executor } from '../../store/transaction';
import { TspError } from '../../errors';

/** 429 `rate_limited` once a wallet account or device spent its failed-redemption budget. */
export class RedemptionBudgetError extends TspError {
  override readonly name = 'RedemptionBudgetError';

  constructor(readonly retryAfterSeconds: number) {
    super('rate_limited', `Too many failed push-receipt redemptions; retry in ${retryAfterSeconds} seconds.`);
  }
}

/** Who a redemption is counted against: a wallet account and, when named, a device, within a token requestor. */
export interface RedemptionSubject {
  trid: string;
  walletAccountId: string;
  deviceId?: string;
}

/**
 * Bounds push-receipt guessing (DESIGN §5): every failed redemption counts in a fixed window
 * shared by all TSP processes (a Postgres counter), once against the wallet account and once
 * against the device it names; once either holds `redeemFailureBudget` failures, every
 * redemption for that account or from that device, even of a valid receipt, is refused with 429
 * until the window ends. Counting per account and device, not per token requestor, keeps one
 * user replaying a redeemed receipt from blocking every user of the wallet (issue 20). Both
 * are named by the requestor, so the bound is per claimed identity; the receipts' 256 bits
 * are what makes guessing hopeless (with 20 tries per 10 minutes, ~2^-251 per window).
 */
export class RedemptionBudget {
  constructor(
    private readonly config: Pick<PushConfig, 'redeemFailureBudget' | 'redeemWindowSeconds'>,
    /** The clock windows are cut from (tests move it instead of sleeping). */
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** @throws RedemptionBudgetError when the subject's budget for the current window is spent. */
  async check(executor: Executor, subject: RedemptionSubject): Promise<void> {
    const now = this.now();
    const { start, end } = this.#window(now);
    const failures = await pushReceiptsRepository.failuresIn(executor, subject.trid, subjectKeys(subject), start);
    if (failures >= this.config.redeemFailureBudget) {
      throw new RedemptionBudgetError(Math.max(1, Math.ceil((end.getTime() - now.getTime()) / 1000)));
    }
  }

  /**
   * Counts one failed redemption (one atomic upsert per key, across processes). Returns the
   * error to answer instead of the refusal when this failure is past the budget: concurrent
   * guesses that all passed `check` get their answer from their place in the count, so no more
   * than `redeemFailureBudget` failures per window and key are ever answered as such.
   */
  async recordFailure(tx: Executor, subject: RedemptionSubject): Promise<RedemptionBudgetError | undefined> {
    const now = this.now();
    const { start, end } = this.#window(now);
    let failures = 0;
    for (const key of subjectKeys(subject)) {
      failures = Math.max(failures, await pushReceiptsRepository.recordFailure(tx, subject.trid, key, start, new Date(start.getTime() - this.#windowMs())));
    }
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

function subjectKeys(subject: RedemptionSubject): string[] {
  return [`account:${subject.walletAccountId}`, ...(subject.deviceId ? [`device:${subject.deviceId}`] : [])];
}
