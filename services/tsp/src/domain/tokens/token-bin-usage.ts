import type { components } from '@opentsp/api-types';
import { tokenBinUsageRepository } from '../../store/token-bin-usage.repository';
import type { Executor } from '../../store/transaction';
import { tokenRangeCapacity, type CardRange } from '../../vault/token-number';
import type { Issuer } from '../identity/records';

type TokenBinUsageList = components['schemas']['TokenBinUsageList'];

export interface TokenBinUsageDeps {
  executor: Executor;
  /** Reads the issuer from the database (`issuer_not_found` when unknown), not from a cache. */
  issuers: { get(issuerId: string): Promise<Issuer> };
  /** Every registered card BIN range: token numbers are never issued inside one (DESIGN §1). */
  cardRanges(): readonly CardRange[];
}

/**
 * How full each token BIN range of an issuer is, for operators (issue 12): capacity (the
 * allocator's own formula, so "full" here means the allocator will refuse), numbers ever
 * allocated, and tokens not DELETED. One entry per range, in the issuer's order.
 */
export async function tokenBinUsage(deps: TokenBinUsageDeps, issuerId: string): Promise<TokenBinUsageList> {
  const issuer = await deps.issuers.get(issuerId);
  const cardRanges = deps.cardRanges();
  const data = await Promise.all(
    issuer.tokenBinRanges.map(async (range) => {
      const [allocated, liveTokens] = await Promise.all([
        tokenBinUsageRepository.allocated(deps.executor, range.prefix, range.tokenLength),
        tokenBinUsageRepository.liveTokens(deps.executor, issuer.issuerId, range.prefix, range.tokenLength),
      ]);
      return { prefix: range.prefix, tokenLength: range.tokenLength, capacity: tokenRangeCapacity(range, cardRanges), allocated, liveTokens };
    }),
  );
  return { data };
}
