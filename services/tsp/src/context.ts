import type { Config } from './config';
import type { Logger } from './observability/logger';
import type { Metrics } from './observability/metrics';
import type { DatabaseHandle } from './store/database';
import type { ReadReplica } from './store/read-replica';

/** What every area's factory receives: configuration, the database, logging and metrics. */
export interface ServiceContext {
  readonly config: Config;
  readonly database: DatabaseHandle;
  /** `DATABASE_READ_URL`'s replica, routed by lag; read-only paths reach it through `uow.reads`. */
  readonly readReplica?: ReadReplica;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /**
   * The calendar clock of expiry decisions (token expiry, renewal, grace windows); tests move
   * it forward instead of waiting. Default: the system clock.
   */
  readonly clock?: () => Date;
}

/** The service's calendar clock (`ctx.clock`, else the system clock). */
export function clockOf(ctx: Pick<ServiceContext, 'clock'>): () => Date {
  return ctx.clock ?? (() => new Date());
}

/** A background task an area runs while the service is up; `stop` resolves once it is idle. */
export type StopFn = () => Promise<void>;

/** A job handler: receives the job's JSON payload; throwing makes graphile-worker retry the job. */
export type JobHandler = (payload: unknown) => Promise<void>;

/**
 * Work an area runs on the service's one job worker: handlers by task name, and graphile crontab
 * lines for them. Declared here so an area can offer jobs without importing the worker.
 */
export interface BackgroundJobs {
  handlers: Record<string, JobHandler>;
  crontab: readonly string[];
}
