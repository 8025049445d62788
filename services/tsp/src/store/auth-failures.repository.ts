import { sql } from 'kysely';
import type { Executor } from './transaction';

/**
 * Failed client authentications at the token endpoint, counted in the shared limiter table
 * `rate_limit_counters` (key, points, expire in epoch ms; the layout rate-limiter-flexible
 * uses) under keys of their own prefix. The times come from the caller, so a test can move
 * the clock; the count is one upsert, exact across TSP processes on one database.
 */
const PREFIX = 'opentsp:auth-failures:';

export interface FailureWindow {
  failures: number;
  /** When the window ends (epoch ms). */
  expireMs: number;
}

function keyOf(subject: string): string {
  return `${PREFIX}${subject}`.slice(0, 255);
}

export const authFailuresRepository = {
  /** The failures of the window open at `nowMs`, or undefined when none is open. */
  async current(executor: Executor, subject: string, nowMs: number): Promise<FailureWindow | undefined> {
    const { rows } = await sql<{ points: number; expire: string }>`
      select points, expire from rate_limit_counters where key = ${keyOf(subject)} and expire > ${nowMs}`.execute(executor);
    const row = rows[0];
    return row ? { failures: row.points, expireMs: Number(row.expire) } : undefined;
  },

  /**
   * Counts one failure and returns the window's total. A window opens at the first failure and
   * lasts `windowMs`; the row lock taken by `on conflict do update` serialises concurrent calls.
   */
  async record(executor: Executor, subject: string, nowMs: number, windowMs: number): Promise<FailureWindow> {
    const expire = nowMs + windowMs;
    const { rows } = await sql<{ points: number; expire: string }>`
      insert into rate_limit_counters as c (key, points, expire) values (${keyOf(subject)}, 1, ${expire})
      on conflict (key) do update set
        points = case when c.expire is null or c.expire <= ${nowMs} then 1 else c.points + 1 end,
        expire = case when c.expire is null or c.expire <= ${nowMs} then ${expire} else c.expire end
      returning points, expire`.execute(executor);
    const row = rows[0] as { points: number; expire: string };
    return { failures: row.points, expireMs: Number(row.expire) };
  },

  /** Deletes closed windows (run periodically: sources an attacker rotates through add rows). */
  async purgeExpired(executor: Executor, nowMs: number): Promise<number> {
    const result = await sql`delete from rate_limit_counters where key like ${`${PREFIX}%`} and expire <= ${nowMs}`.execute(executor);
    return Number(result.numAffectedRows ?? 0);
  },
};
