import { EventEmitter } from 'node:events';
import { CompiledQuery, type Kysely, sql } from 'kysely';
import { Logger, runMigrations } from 'graphile-worker';
import type { Pool } from 'pg';
import type { Executor } from './transaction';

/**
 * The Postgres job queue (graphile-worker) as the store sees it: installing its schema and
 * adding jobs inside the caller's transaction, so a job exists if and only if the state change
 * that asked for it committed (the transactional outbox, DESIGN §4).
 */

/** graphile-worker's schema (its default). */
export const JOB_QUEUE_SCHEMA = 'graphile_worker';

export interface NewJob {
  /** The task identifier the worker's task list handles. */
  task: string;
  payload: Record<string, unknown>;
  /** Named queue: jobs of one queue run one at a time, across every worker process. */
  queue?: string;
  runAt?: Date;
  /** A job with the same key is replaced instead of duplicated (graphile's `job_key`). */
  key?: string;
  /**
   * With `key`: keep the existing job's `run_at` (a scheduled retry stays scheduled); without it
   * the existing job is rescheduled to `runAt`.
   */
  preserveRunAt?: boolean;
  /** graphile's own retry budget for crashes of the task itself (not HTTP failures). */
  maxAttempts?: number;
}

const silent = new Logger(() => () => undefined);

export const jobQueueRepository = {
  /**
   * Adds a job through `graphile_worker.add_job`, in whatever transaction `executor` is.
   *
   * @example
   * ```ts
   * await uow.transaction(async (tx) => {
   *   await jobQueueRepository.add(tx, { task: 'send', payload: { id }, queue: `q:${tokenRef}`, key: id });
   * });
   * ```
   */
  async add(executor: Executor, job: NewJob): Promise<void> {
    const mode = job.preserveRunAt ? 'preserve_run_at' : 'replace';
    await sql`select ${sql.id(JOB_QUEUE_SCHEMA)}.add_job(
        identifier => ${job.task}::text,
        payload => ${JSON.stringify(job.payload)}::json,
        queue_name => ${job.queue ?? null}::text,
        run_at => ${job.runAt ?? null}::timestamptz,
        max_attempts => ${job.maxAttempts ?? null}::int,
        job_key => ${job.key ?? null}::text,
        job_key_mode => ${mode}::text
      )`.execute(executor);
  },

  /**
   * Installs or upgrades graphile-worker's schema (its own versioned migrations; safe to run
   * from several processes at once). Called by `migrateToLatest`, which only holds a Kysely
   * instance: graphile-worker wants a `pg.Pool`, so it is lent one connection of that instance
   * behind the few pool/client methods its migrator uses (`connect`, `query`, `release`).
   */
  async installSchema(db: Kysely<any>): Promise<void> {
    await db.connection().execute(async (connection) => {
      type QueryConfig = { text: string; values?: unknown[] };
      const client = {
        async query(textOrConfig: string | QueryConfig, values?: unknown[]) {
          const config = typeof textOrConfig === 'string' ? { text: textOrConfig, values } : textOrConfig;
          return connection.executeQuery(CompiledQuery.raw(config.text, config.values ?? []));
        },
        release: () => undefined,
        on: () => client,
      };
      const pool = Object.assign(new EventEmitter(), { options: { max: 1 }, connect: async () => client });
      // Listeners present, so graphile-worker does not warn about (or install) its own.
      pool.on('error', () => undefined);
      pool.on('connect', () => undefined);
      await runMigrations({ pgPool: pool as unknown as Pool, schema: JOB_QUEUE_SCHEMA, logger: silent });
    });
  },
};
