import { sql } from 'kysely';
import type { Logger } from '../observability/logger';
import { openDatabase, type DatabaseHandle } from './database';
import { DEFAULT_SERVICE_ROLE, derivedServicePassword, withCredentials } from './database-roles';
import type { Executor } from './transaction';

/**
 * Read replicas (`DATABASE_READ_URL`, DESIGN §9): read-only paths — token lists and reads, the
 * issuer console's searches and token history, audit queries — may be answered by a streaming
 * replica, within a staleness bound. Everything that writes or decides (provisioning, ATC
 * consumption, velocity, redemption, lifecycle, idempotency) stays on the leader.
 *
 * The bound: a sampler asks the replica how far its replay is behind every `checkEveryMs`
 * (not per request), and reads go back to the leader while the replica lags more than
 * `maxLagMs`, cannot be reached, or the lag cannot be known. So a read is at most
 * `maxLagMs + checkEveryMs` behind the leader (plus the time of one sample), and never older
 * than that because the replica died or lost its upstream.
 */
export interface ReadReplica {
  /** The executor of read-only paths right now: the replica while within the bound, else the leader. */
  readonly executor: Executor;
  /** The last sample: where reads go and why. */
  state(): ReadReplicaState;
  /** Takes one sample now (the sampler does this every `checkEveryMs`). */
  sample(): Promise<ReadReplicaState>;
  /** Starts sampling (a first sample is taken at once); resolves to its stop. */
  start(): () => Promise<void>;
  /** Stops sampling and closes the replica's pool. */
  close(): Promise<void>;
}

export interface ReadReplicaState {
  /** `replica`: reads go to it; `lagging`, `down`, `unknown`: reads go to the leader. */
  readonly reads: 'replica' | 'lagging' | 'down' | 'unknown';
  /** Replay lag in ms at the last sample (0: caught up with the leader), when known. */
  readonly lagMs?: number;
  readonly sampledAt?: Date;
}

/** Measures how far the replica is behind the leader, in ms; throws when it cannot be told. */
export type LagSource = () => Promise<number>;

export interface ReadReplicaOptions {
  leader: Executor;
  replica: DatabaseHandle;
  maxLagMs: number;
  checkEveryMs: number;
  logger: Logger;
  /** Where the lag comes from (default: `measureReplicaLag` against the leader). */
  lagSource?: LagSource;
}

/**
 * How far `replica` is behind `leader`, in ms. Caught up (its replay position has reached the
 * leader's current WAL position, read just before) is 0, whatever time passed since the last
 * commit: an idle leader does not make a replica stale. Behind: the age of the last transaction
 * it replayed. A server that is not in recovery is itself a leader (the same server, or one
 * promoted a moment ago): 0.
 */
export async function measureReplicaLag(leader: Executor, replica: Executor): Promise<number> {
  const leaderLsn = (await sql<{ lsn: string }>`select pg_current_wal_lsn()::text as lsn`.execute(leader)).rows[0]?.lsn;
  const row = (
    await sql<{ recovery: boolean; caught_up: boolean | null; replay_age_ms: number | null }>`
      select pg_is_in_recovery() as recovery,
             pg_last_wal_replay_lsn() >= ${leaderLsn}::pg_lsn as caught_up,
             (extract(epoch from (clock_timestamp() - pg_last_xact_replay_timestamp())) * 1000)::float8 as replay_age_ms`.execute(replica)
  ).rows[0];
  if (!row) throw new Error('the replica answered no row');
  if (!row.recovery || row.caught_up) return 0;
  if (row.replay_age_ms === null) throw new Error('the replica has replayed no transaction yet');
  return Math.max(0, row.replay_age_ms);
}

export function readReplica(options: ReadReplicaOptions): ReadReplica {
  const { leader, replica, maxLagMs, checkEveryMs, logger } = options;
  const lagSource = options.lagSource ?? (() => measureReplicaLag(leader, replica.db));
  const log = logger.child({ component: 'read-replica' });
  let current: ReadReplicaState = { reads: 'unknown' };
  let timer: NodeJS.Timeout | undefined;
  let sampling: Promise<ReadReplicaState> | undefined;

  const settle = (next: ReadReplicaState, err?: unknown) => {
    if (next.reads !== current.reads) {
      // Transitions only: a lagging replica sampled every second must not flood the log.
      if (next.reads === 'replica') log.info({ lagMs: next.lagMs }, 'reads go to the replica');
      else log.warn({ reads: next.reads, lagMs: next.lagMs, maxLagMs, ...(err ? { err } : {}) }, 'reads go to the leader: the replica is behind or unreachable');
    }
    current = next;
    return next;
  };

  const sample = () =>
    (sampling ??= (async () => {
      try {
        const lagMs = await withTimeout(lagSource(), Math.max(1_000, checkEveryMs));
        return settle({ reads: lagMs <= maxLagMs ? 'replica' : 'lagging', lagMs, sampledAt: new Date() });
      } catch (err) {
        return settle({ reads: 'down', sampledAt: new Date() }, err);
      } finally {
        sampling = undefined;
      }
    })());

  const stop = async () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    await sampling?.catch(() => undefined);
  };

  return {
    get executor() {
      return current.reads === 'replica' ? replica.db : leader;
    },
    state: () => current,
    sample,
    start() {
      void sample();
      timer ??= setInterval(() => void sample(), checkEveryMs);
      timer.unref();
      return stop;
    },
    async close() {
      await stop();
      current = { reads: 'unknown' };
      await replica.close();
    },
  };
}

/**
 * The replica's pool. Its sessions are read-only (`default_transaction_read_only`): a write
 * routed here by mistake fails instead of landing on a server it should not. Credentials: with
 * one database URL (the TSP derives its service role from the owner's URL) a read URL that
 * names the same user as `DATABASE_URL` gets the service role's credentials too, as the
 * leader's pool does; otherwise the read URL is used as given (give it the service role).
 */
export function openReplicaPool(options: { readUrl: string; databaseUrl: string; ownerUrl?: string; poolSize: number }): DatabaseHandle {
  const read = new URL(options.readUrl);
  const sameUser = decodeURIComponent(read.username) === decodeURIComponent(new URL(options.databaseUrl).username);
  const url = !options.ownerUrl && sameUser ? withCredentials(options.readUrl, DEFAULT_SERVICE_ROLE, derivedServicePassword(options.databaseUrl)) : options.readUrl;
  return openDatabase({ connectionString: url, poolSize: options.poolSize, applicationName: 'opentsp-reads', readOnly: true });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
