import { authFailuresRepository } from '../../store/auth-failures.repository';
import type { Executor } from '../../store/transaction';
import { TspError } from '../../errors';

/** The budget's size: `points` failed authentications per `seconds`. */
export interface FailureBudgetPolicy {
  readonly points: number;
  readonly seconds: number;
}

/** 429 `rate_limited`: this source spent its failure budget for this client id. */
export class TokenFailureBudgetError extends TspError {
  override readonly name = 'TokenFailureBudgetError';

  constructor(
    readonly retryAfterSeconds: number,
    readonly policy: FailureBudgetPolicy,
  ) {
    super('rate_limited', `Too many failed client authentications from this address; retry in ${retryAfterSeconds} seconds.`);
  }
}

/**
 * Bounds client-secret and assertion guessing at `POST /oauth2/token` without handing anyone
 * a lockout switch: only *failed* authentications count, per (claimed client id, source
 * address). An attacker who hammers a client id from its own address locks out that address
 * only; the real client, from its own address, keeps getting tokens, and successful calls
 * never spend the budget. The counter is shared by all TSP processes (one upsert in Postgres).
 * The source is the caller's address as resolved by `OPENTSP_TRUST_PROXY`.
 */
export class TokenFailureBudget {
  constructor(
    private readonly policy: FailureBudgetPolicy,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** @throws TokenFailureBudgetError when this (client id, source) has no failures left. */
  async check(executor: Executor, clientId: string, source: string): Promise<void> {
    const now = this.now().getTime();
    const window = await authFailuresRepository.current(executor, subjectOf(clientId, source), now);
    if (window && window.failures >= this.policy.points) throw this.#refusal(window.expireMs, now);
  }

  /**
   * Counts one failure. Returns the error to answer instead of the plain refusal when this
   * failure is past the budget: concurrent guesses that all passed `check` get their answer
   * from their place in the count, so at most `points` failures per window are told apart.
   */
  async recordFailure(executor: Executor, clientId: string, source: string): Promise<TokenFailureBudgetError | undefined> {
    const now = this.now().getTime();
    const window = await authFailuresRepository.record(executor, subjectOf(clientId, source), now, this.policy.seconds * 1000);
    return window.failures > this.policy.points ? this.#refusal(window.expireMs, now) : undefined;
  }

  /** Forgets closed windows. */
  purge(executor: Executor): Promise<number> {
    return authFailuresRepository.purgeExpired(executor, this.now().getTime());
  }

  #refusal(expireMs: number, now: number): TokenFailureBudgetError {
    return new TokenFailureBudgetError(Math.max(1, Math.ceil((expireMs - now) / 1000)), this.policy);
  }
}

function subjectOf(clientId: string, source: string): string {
  return `${clientId}|${source}`;
}
