import type { Kysely } from 'kysely';
import type { Database } from './schema';

/**
 * A database executor: the pool-backed instance or an open transaction. Repositories take one
 * as their first argument, so the domain can put several writes in one transaction without
 * knowing about Kysely (it only passes the handle along).
 */
export type Executor = Kysely<Database>;

export interface UnitOfWork {
  /** Runs `work` in one transaction; everything it writes commits or rolls back together. */
  transaction<T>(work: (tx: Executor) => Promise<T>): Promise<T>;
  /** The non-transactional executor, for reads and single statements. */
  readonly executor: Executor;
}

export function unitOfWork(db: Kysely<Database>): UnitOfWork {
  return {
    executor: db,
    transaction: (work) => db.transaction().execute(work),
  };
}
