import { Logger as GraphileLogger, makeWorkerUtils, run, type Task, type TaskList } from 'graphile-worker';
import type { Pool, PoolClient } from 'pg';
import type { BackgroundJobs, JobHandler, StopFn } from '../context';
import type { Logger } from '../observability/logger';
import { inJobSpan } from '../observability/tracing';
import { JOB_QUEUE_SCHEMA } from '../store/job-queue.repository';

export type { BackgroundJobs, JobHandler } from '../context';


/** Several areas' background jobs as one set for the service's one worker. */
export function mergeJobs(...sets: BackgroundJobs[]): BackgroundJobs {
  return {
    handlers: Object.assign({}, ...sets.map((s) => s.handlers)) as Record<string, JobHandler>,
    crontab: sets.flatMap((s) => s.crontab),
  };
}

export interface JobWorkerOptions {
  /** The service's pool (graphile-worker holds one connection of it for LISTEN). */
  pool: Pool;
  logger: Logger;
  /** Jobs run at once in this process. */
  concurrency: number;
  /** How often to look for jobs that became due (retries); new jobs arrive by LISTEN/NOTIFY. */
  pollIntervalMs: number;
  handlers: Record<string, JobHandler>;
  /**
   * More graphile crontab lines (tasks of `handlers`). graphile-worker's cron schedules each
   * tick once across every process sharing the database (its `known_crontabs` row is claimed).
   */
  crontab?: readonly string[];
  /**
   * A job (or named queue) locked for longer than this is taken to belong to a dead process
   * and is unlocked for another worker. Must exceed the longest run of any handler.
   */
  staleLockMs: number;
}

/** Hourly: forget named queues that have no job left (one queue per token and recipient). */
const GC_TASK = 'opentsp_job_queues_gc';
const CRONTAB = `0 * * * * ${GC_TASK} ?max=1`;

/**
 * A process killed mid-job (kill -9, OOM, lost host) leaves its job and the job's named queue
 * locked, and graphile-worker only reclaims such locks after 4 hours: every later webhook of
 * that token and recipient would wait behind it. Our handlers are bounded in time (a webhook
 * attempt has its HTTP timeout), so a lock older than `staleLockMs` cannot be a live worker's:
 * unlock every job and queue of the worker ids holding such locks
 * (graphile's `force_unlock_workers`). The job then runs again: at least once, as promised.
 */
async function unlockStaleWorkers(pool: Pool, staleLockMs: number, logger: Logger): Promise<void> {
  const schema = `"${JOB_QUEUE_SCHEMA}"`;
  const stale = await pool.query<{ locked_by: string }>(
    `select locked_by from ${schema}._private_jobs where locked_by is not null and locked_at < now() - make_interval(secs => $1::float8 / 1000)
      union
     select locked_by from ${schema}._private_job_queues where locked_by is not null and locked_at < now() - make_interval(secs => $1::float8 / 1000)`,
    [staleLockMs],
  );
  const workerIds = stale.rows.map((r) => r.locked_by);
  if (!workerIds.length) return;
  await pool.query(`select ${schema}.force_unlock_workers($1::text[])`, [workerIds]);
  logger.warn({ component: 'job-worker', workerIds, staleLockMs }, 'unlocked jobs of workers that died holding them');
}

/** graphile-worker's log lines into the service's pino logger, under `component: job-worker`. */
function graphileLogger(logger: Logger): GraphileLogger {
  const child = logger.child({ component: 'job-worker' });
  return new GraphileLogger((scope) => (level, message, meta) => {
    const fields = { ...scope, ...(meta?.error ? { err: meta.error } : {}) };
    const method = String(level) === 'error' ? 'error' : String(level) === 'warning' ? 'warn' : String(level) === 'info' ? 'info' : 'debug';
    child[method](fields, message);
  });
}

/**
 * Runs the Postgres job queue (graphile-worker) over the service's pool until the returned
 * stop function is called; stopping waits for the jobs in flight. Signal handling stays with
 * the service (server.ts), not graphile-worker.
 */
export async function startJobWorker(options: JobWorkerOptions): Promise<StopFn> {
  const { pool, logger } = options;
  const glogger = graphileLogger(logger);
  // A checked-out client (graphile-worker's LISTEN connection) that loses its server must log,
  // not crash the process; the pool already handles idle clients.
  const onConnect = (client: PoolClient) => {
    client.on('error', (err) => logger.warn({ err, component: 'job-worker' }, 'database connection error'));
  };
  pool.on('connect', onConnect);
  const utils = await makeWorkerUtils({ pgPool: pool, schema: JOB_QUEUE_SCHEMA, logger: glogger });
  const taskList: TaskList = {
    [GC_TASK]: async () => utils.cleanup({ tasks: ['GC_JOB_QUEUES'] }),
  };
  for (const [identifier, handler] of Object.entries(options.handlers)) {
    const task: Task = async (payload, helpers) => inJobSpan(identifier, helpers.job.attempts, () => handler(payload));
    taskList[identifier] = task;
  }
  const runner = await run({
    pgPool: pool,
    schema: JOB_QUEUE_SCHEMA,
    concurrency: options.concurrency,
    pollInterval: options.pollIntervalMs,
    noHandleSignals: true,
    logger: glogger,
    taskList,
    crontab: [CRONTAB, ...(options.crontab ?? [])].join('\n'),
  });
  // Sweep at start (a restart after a crash) and then a few times per lease.
  let sweeping: Promise<void> = Promise.resolve();
  const sweep = () => {
    sweeping = sweeping
      .then(() => unlockStaleWorkers(pool, options.staleLockMs, logger))
      .catch((err: unknown) => logger.warn({ err, component: 'job-worker' }, 'stale job lock sweep failed; will retry'));
  };
  sweep();
  const sweeper = setInterval(sweep, Math.max(1_000, Math.floor(options.staleLockMs / 4)));
  sweeper.unref();
  let stopping: Promise<void> | undefined;
  return () =>
    (stopping ??= (async () => {
      clearInterval(sweeper);
      await sweeping;
      await runner.stop();
      await utils.release();
      pool.removeListener('connect', onConnect);
    })());
}
