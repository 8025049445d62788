import { sql } from 'kysely';
import type { Executor } from './transaction';

/** Allocated token numbers; the primary key keeps them unique across processes. */
export const tokenNumbersRepository = {
  /** Claims `number`; false when it is taken (no error, so the caller's transaction lives on). */
  async claim(executor: Executor, number: string, prefix: string, tokenLength: number): Promise<boolean> {
    const row = await executor
      .insertInto('token_numbers')
      .values({ number, prefix, token_length: tokenLength })
      .onConflict((oc) => oc.column('number').doNothing())
      .returning('number')
      .executeTakeFirst();
    return row !== undefined;
  },

  async countInRange(executor: Executor, prefix: string, tokenLength: number): Promise<number> {
    const row = await executor
      .selectFrom('token_numbers')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('prefix', '=', prefix)
      .where('token_length', '=', tokenLength)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },

  /** Every allocated number of a range (only called for small ranges). */
  async listInRange(executor: Executor, prefix: string, tokenLength: number): Promise<string[]> {
    const rows = await executor
      .selectFrom('token_numbers')
      .select('number')
      .where('prefix', '=', prefix)
      .where('token_length', '=', tokenLength)
      .execute();
    return rows.map((r) => r.number);
  },

  /** Allocation counts of every range that has any. */
  async countsByRange(executor: Executor): Promise<Array<{ prefix: string; tokenLength: number; allocated: number }>> {
    const rows = await executor
      .selectFrom('token_numbers')
      .select(['prefix', 'token_length', sql<number>`count(*)::int`.as('n')])
      .groupBy(['prefix', 'token_length'])
      .execute();
    return rows.map((r) => ({ prefix: r.prefix, tokenLength: r.token_length, allocated: Number(r.n) }));
  },
};
