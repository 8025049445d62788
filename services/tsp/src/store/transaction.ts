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
  /**
   * For read-only paths that may be a little stale (lists, searches, history, audit queries):
   * the read replica while it is within its lag bound (store/read-replica.ts), else `executor`.
   * Never for a read that decides a write.
   */
  readonly reads: Executor;
}

export function unitOfWork(db: Kysely<Database>, replica?: { readonly executor: Executor }): UnitOfWork {
  return {
    executor: db,
    get reads() {
      return replica?.executor ?? db;
    },
    transaction: (work) => db.transaction().execute(work),
  };
}
