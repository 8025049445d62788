import { luhnCheckDigit } from '@opentsp/card';
import client from 'prom-client';
import { StateError } from '../errors';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { tokenNumbersRepository } from '../store/token-numbers.repository';
import type { Executor } from '../store/transaction';
import {
  checkTokenRange,
  isUsableTokenNumber,
  randomTokenNumber,
  tokenRangeCapacity,
  type CardRange,
  type TokenRange,
} from './token-number';

// Random draws before looking closer: at 50 % fill, 32 collisions in a row happen 2^-32 of the time.
const RANDOM_ATTEMPTS = 32;
// A range this small is searched exhaustively once random draws fail (tests, tiny pilots).
const EXHAUSTIVE_LIMIT = 100_000;
const EXTRA_ATTEMPTS = 256;
const NEAR_FULL = 0.8;

export interface TokenRangeUsage extends TokenRange {
  allocated: number;
  capacity: number;
  /** allocated / capacity, 0..1. */
  utilization: number;
}

/**
 * Allocates token numbers: random within the issuer's token BIN range, Luhn-valid, outside
 * every card BIN range, unique by the `token_numbers` primary key (so two processes can never
 * hand out the same number). Exhaustion is a `token_range_exhausted` error and a metric.
 */
export class TokenNumberAllocator {
  readonly #utilization: client.Gauge<'range'>;
  readonly #exhausted: client.Counter<'range'>;
  readonly #warnedAt = new Map<string, number>();

  constructor(
    metrics: Metrics,
    private readonly logger: Logger,
  ) {
    // Several allocators may share a registry (tests, tools): reuse the registered metrics.
    const registry = metrics.registry;
    this.#utilization =
      (registry.getSingleMetric('opentsp_token_range_utilization_ratio') as client.Gauge<'range'> | undefined) ??
      new client.Gauge({
        name: 'opentsp_token_range_utilization_ratio',
        help: 'Allocated token numbers / capacity per token BIN range (alert above 0.8)',
        labelNames: ['range'] as const,
        registers: [registry],
      });
    this.#exhausted =
      (registry.getSingleMetric('opentsp_token_range_exhausted_total') as client.Counter<'range'> | undefined) ??
      new client.Counter({
        name: 'opentsp_token_range_exhausted_total',
        help: 'Token number allocations refused because the token BIN range is full',
        labelNames: ['range'] as const,
        registers: [registry],
      });
  }

  /**
   * Allocates one token number of `range` inside the caller's transaction (it is released if
   * the transaction rolls back). `cardRanges` are all registered card BIN ranges.
   *
   * @throws StateError `token_range_exhausted` when the range has no free number.
   * @throws RangeError for a malformed range (a programming error).
   */
  async allocate(tx: Executor, range: TokenRange, cardRanges: readonly CardRange[]): Promise<string> {
    checkTokenRange(range);
    const capacity = tokenRangeCapacity(range, cardRanges);
    if (capacity > 0) {
      const found = (await this.#random(tx, range, cardRanges, RANDOM_ATTEMPTS)) ?? (await this.#closer(tx, range, cardRanges, capacity));
      if (found) return found;
    }
    const label = labelOf(range);
    this.#exhausted.inc({ range: label });
    this.#utilization.set({ range: label }, 1);
    this.logger.error({ range: label }, 'token BIN range exhausted: register a new token range');
    throw new StateError('token_range_exhausted', 'The issuer\'s token BIN range has no free token number; an operator must add a range.');
  }

  /** Allocation counts of every range that has allocations, and sets the utilization gauge. */
  async usage(executor: Executor, range: TokenRange, cardRanges: readonly CardRange[] = []): Promise<TokenRangeUsage> {
    const allocated = await tokenNumbersRepository.countInRange(executor, range.prefix, range.tokenLength);
    const capacity = tokenRangeCapacity(range, cardRanges);
    const utilization = capacity === 0 ? 1 : Math.min(1, allocated / capacity);
    this.#utilization.set({ range: labelOf(range) }, utilization);
    if (utilization >= NEAR_FULL) this.#warnNearFull(range, utilization);
    return { ...range, allocated, capacity, utilization };
  }

  /** Refreshes the utilization gauge of every range with allocations (background, every minute). */
  async refreshGauges(executor: Executor): Promise<void> {
    for (const range of await tokenNumbersRepository.countsByRange(executor)) {
      const capacity = tokenRangeCapacity(range, []);
      const utilization = capacity === 0 ? 1 : Math.min(1, range.allocated / capacity);
      this.#utilization.set({ range: labelOf(range) }, utilization);
      if (utilization >= NEAR_FULL) this.#warnNearFull(range, utilization);
    }
  }

  async #random(tx: Executor, range: TokenRange, cardRanges: readonly CardRange[], attempts: number): Promise<string | undefined> {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const candidate = randomTokenNumber(range);
      if (!isUsableTokenNumber(candidate, cardRanges)) continue;
      if (await tokenNumbersRepository.claim(tx, candidate, range.prefix, range.tokenLength)) {
        // Three collisions in a row are unlikely below ~60 % fill: say so before it is full.
        if (attempt >= 4) this.#warnNearFull(range, Number.NaN);
        return candidate;
      }
    }
    return undefined;
  }

  // Random draws kept colliding: the range is nearly full. Search a small range exhaustively;
  // for a large one count, then draw more.
  async #closer(tx: Executor, range: TokenRange, cardRanges: readonly CardRange[], capacity: number): Promise<string | undefined> {
    const usage = await this.usage(tx, range, cardRanges);
    if (usage.allocated >= capacity) return undefined;
    if (capacity > EXHAUSTIVE_LIMIT) return this.#random(tx, range, cardRanges, EXTRA_ATTEMPTS);
    const taken = new Set(await tokenNumbersRepository.listInRange(tx, range.prefix, range.tokenLength));
    const free: string[] = [];
    const digits = range.tokenLength - range.prefix.length - 1;
    for (let i = 0; i < 10 ** digits; i++) {
      const body = range.prefix + String(i).padStart(digits, '0');
      const number = body + luhnCheckDigit(body);
      if (!taken.has(number) && isUsableTokenNumber(number, cardRanges)) free.push(number);
    }
    // Shuffle-free random order: start at a random offset so concurrent callers spread out.
    const start = free.length ? Math.floor(Math.random() * free.length) : 0;
    for (let k = 0; k < free.length; k++) {
      const candidate = free[(start + k) % free.length] as string;
      if (await tokenNumbersRepository.claim(tx, candidate, range.prefix, range.tokenLength)) return candidate;
    }
    return undefined;
  }

  #warnNearFull(range: TokenRange, utilization: number): void {
    const label = labelOf(range);
    const last = this.#warnedAt.get(label) ?? 0;
    if (Date.now() - last < 60_000) return;
    this.#warnedAt.set(label, Date.now());
    this.logger.warn(
      { range: label, ...(Number.isNaN(utilization) ? {} : { utilization: Number(utilization.toFixed(4)) }) },
      'token BIN range nearing exhaustion',
    );
  }
}

/** `6288…/16`: the metric label of a range (prefix and length; no card data). */
function labelOf(range: TokenRange): string {
  return `${range.prefix}/${range.tokenLength}`;
}
