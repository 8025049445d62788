import { CompiledQuery } from 'kysely';
import type pg from 'pg';
import type { Executor } from './transaction';

/**
 * A fixed SQL text with a name, for the hot paths (DESIGN §8). Run on the pool in autocommit it
 * is a named prepared statement: each connection parses and plans it once, then only binds and
 * executes (the statements of detokenize are large data-modifying CTEs whose planning costs
 * Postgres as much CPU as running them). Run inside a transaction (a Kysely executor) the same
 * text goes through Kysely unnamed, so the two paths cannot drift apart.
 */
export interface PreparedStatement {
  /** Unique per text: `pg` refuses a name reused with another text on the same connection. */
  readonly name: string;
  readonly text: string;
}

/** Where a prepared statement runs: the pool (autocommit, named) or an open transaction. */
export type StatementTarget = { readonly pool: pg.Pool } | { readonly executor: Executor };

export async function runPrepared<R>(target: StatementTarget, statement: PreparedStatement, values: unknown[]): Promise<R[]> {
  if ('pool' in target) {
    const result = await target.pool.query<R & pg.QueryResultRow>({ name: statement.name, text: statement.text, values });
    return result.rows;
  }
  const result = await target.executor.executeQuery<R>(CompiledQuery.raw(statement.text, values));
  return result.rows;
}
