import { Logger as GraphileLogger, makeWorkerUtils, run, type Task, type TaskList } from 'graphile-worker';
import type { Pool, PoolClient } from 'pg';
import type { StopFn } from '../context';
import type { Logger } from '../observability/logger';
import { JOB_QUEUE_SCHEMA } from '../store/job-queue.repository';

/** A job handler: receives the job's JSON payload; throwing makes graphile-worker retry the job. */
export type JobHandler = (payload: unknown) => Promise<void>;

export interface JobWorkerOptions {
  /** The service's pool (graphile-worker holds one connection of it for LISTEN). */
  pool: Pool;
  logger: Logger;
  /** Jobs run at once in this process. */
  concurrency: number;
  /** How often to look for jobs that became due (retries); new jobs arrive by LISTEN/NOTIFY. */
  pollIntervalMs: number;
  handlers: Record<string, JobHandler>;
}

/** Hourly: forget named queues that have no job left (one queue per token and recipient). */
const GC_TASK = 'opentsp_job_queues_gc';
const CRONTAB = `0 * * * * ${GC_TASK} ?max=1`;

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
    const task: Task = async (payload) => handler(payload);
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
    crontab: CRONTAB,
  });
  let stopping: Promise<void> | undefined;
  return () =>
    (stopping ??= (async () => {
      await runner.stop();
      await utils.release();
      pool.removeListener('connect', onConnect);
    })());
}
