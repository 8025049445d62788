import { sql } from 'kysely';
import { tokenNumbersRepository } from './token-numbers.repository';
import type { Executor } from './transaction';

/** Counts behind an issuer's token BIN range usage (`GET /v1/admin/issuers/{id}/token-bin-usage`). */
export const tokenBinUsageRepository = {
  /** Token numbers ever allocated in the range (numbers are never released, so deletes do not lower it). */
  allocated: (executor: Executor, prefix: string, tokenLength: number): Promise<number> => tokenNumbersRepository.countInRange(executor, prefix, tokenLength),

  /** Tokens of the issuer whose number lies in the range and that are not DELETED (index `tokens_issuer`). */
  async liveTokens(executor: Executor, issuerId: string, prefix: string, tokenLength: number): Promise<number> {
    const row = await executor
      .selectFrom('tokens')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('issuer_id', '=', issuerId)
      .where('status', '<>', 'DELETED')
      .where(sql<boolean>`left(token_pan, ${prefix.length}) = ${prefix}`)
      .where(sql<boolean>`length(token_pan) = ${tokenLength}`)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },
};
