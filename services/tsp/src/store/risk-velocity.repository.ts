import { sql } from 'kysely';
import type { Executor } from './transaction';

/** Counter buckets are 10 minutes wide; see risk/fact-catalog.ts. */
export const BUCKET_MS = 10 * 60_000;

export interface VelocityLookupRequest {
  now: Date;
  /** Keys this event counts: incremented in the current bucket, then read. */
  increment: readonly string[];
  /** Keys only read. */
  read: readonly string[];
  cardKey: string | null;
  deviceKey: string | null;
  accountKey: string | null;
}

export interface VelocityLookupResult {
  velocity: Map<string, { h1: number; h24: number }>;
  card: { lastEventAt: Date | null; lastLat: number | null; lastLon: number | null; lastSuspendedAt: Date | null } | null;
  device: { firstSeenWithAccount: Date | null; cards: number; accounts: number } | null;
}

export function bucketOf(now: Date): Date {
  return new Date(Math.floor(now.getTime() / BUCKET_MS) * BUCKET_MS);
}

/** The current bucket and the starts of the 1-hour and 24-hour windows before it (ISO). */
export function velocityWindows(now: Date): { current: string; h1From: string; h24From: string } {
  const bucket = bucketOf(now);
  return {
    current: bucket.toISOString(),
    h1From: new Date(bucket.getTime() - 5 * BUCKET_MS).toISOString(),
    h24From: new Date(bucket.getTime() - 143 * BUCKET_MS).toISOString(),
  };
}

interface LookupRow {
  velocity: Array<{ key: string; current: number; h1: number; h24: number }>;
  card: { last_event_at: string | null; last_lat: number | null; last_lon: number | null; last_suspended_at: string | null } | null;
  device: { first_seen: string | null; cards: number; accounts: number } | null;
}

const date = (value: string | null | undefined) => (value ? new Date(value) : null);

/**
 * Velocity counters and the card/device memory, in ONE round trip per decision (the hot path
 * of detokenization is this statement plus the decision insert).
 *
 * Correct across processes: the current bucket is incremented with `INSERT … ON CONFLICT DO
 * UPDATE … RETURNING count`, which serialises concurrent increments on the row and returns the
 * count including every committed and this increment. Older buckets no longer change, so
 * their sum is read from the statement's snapshot.
 */
export const riskVelocityRepository = {
  async lookup(tx: Executor, request: VelocityLookupRequest): Promise<VelocityLookupResult> {
    const { current, h1From, h24From } = velocityWindows(request.now);
    const increment = [...new Set(request.increment)];
    const all = [...new Set([...increment, ...request.read])];
    const { rows } = await sql<LookupRow>`
      with inc as (
        insert into risk_velocity as v (key, bucket, count)
        select k, ${current}::timestamptz, 1 from unnest(${increment}::text[]) as k
        on conflict (key, bucket) do update set count = v.count + 1
        returning key, count
      ),
      cur as (
        select key, count from risk_velocity
        where key = any(${all}::text[]) and bucket = ${current}::timestamptz
      ),
      hist as (
        select key,
          coalesce(sum(count) filter (where bucket >= ${h1From}::timestamptz), 0)::int as h1,
          coalesce(sum(count), 0)::int as h24
        from risk_velocity
        where key = any(${all}::text[]) and bucket >= ${h24From}::timestamptz and bucket < ${current}::timestamptz
        group by key
      )
      select
        (select coalesce(json_agg(json_build_object(
            'key', k.key,
            'current', coalesce(inc.count, cur.count, 0),
            'h1', coalesce(hist.h1, 0),
            'h24', coalesce(hist.h24, 0))), '[]'::json)
          from unnest(${all}::text[]) as k(key)
          left join inc on inc.key = k.key
          left join cur on cur.key = k.key
          left join hist on hist.key = k.key) as velocity,
        (select row_to_json(s) from (
          select last_event_at, last_lat, last_lon, last_suspended_at
          from risk_card_state where card_key = ${request.cardKey ?? ''}) s) as card,
        (select json_build_object(
            'first_seen', min(first_seen_at) filter (where account_key = ${request.accountKey ?? ''}),
            'cards', count(distinct card_key) filter (where card_key <> ${request.cardKey ?? ''}),
            'accounts', count(distinct account_key) filter (where account_key <> ${request.accountKey ?? ''}))
          from risk_device_links where device_key = ${request.deviceKey ?? ''}) as device
    `.execute(tx);
    const row = rows[0]!;
    const velocity = new Map<string, { h1: number; h24: number }>();
    for (const v of row.velocity) velocity.set(v.key, { h1: v.current + v.h1, h24: v.current + v.h24 });
    return {
      velocity,
      card: row.card
        ? {
            lastEventAt: date(row.card.last_event_at),
            lastLat: row.card.last_lat,
            lastLon: row.card.last_lon,
            lastSuspendedAt: date(row.card.last_suspended_at),
          }
        : null,
      device: row.device && request.deviceKey ? { firstSeenWithAccount: date(row.device.first_seen), cards: row.device.cards, accounts: row.device.accounts } : null,
    };
  },

  /** Counts one event (e.g. a failed OTP) on each key, in one statement. */
  async increment(tx: Executor, keys: readonly string[], now: Date): Promise<void> {
    if (keys.length === 0) return;
    await sql`
      insert into risk_velocity as v (key, bucket, count)
      select k, ${bucketOf(now).toISOString()}::timestamptz, 1 from unnest(${[...new Set(keys)]}::text[]) as k
      on conflict (key, bucket) do update set count = v.count + 1`.execute(tx);
  },

  /** Remembers when a card was suspended (behaviour: time since the card was last suspended). */
  async recordSuspension(tx: Executor, cardKey: string, at: Date): Promise<void> {
    await sql`
      insert into risk_card_state (card_key, last_suspended_at) values (${cardKey}, ${at.toISOString()}::timestamptz)
      on conflict (card_key) do update set last_suspended_at = greatest(risk_card_state.last_suspended_at, excluded.last_suspended_at)`.execute(tx);
  },

  /** Deletes buckets older than any window (24 h) plus a margin; one process at a time. */
  async prune(db: Executor, now: Date): Promise<number> {
    const cutoff = new Date(now.getTime() - 25 * 3_600_000).toISOString();
    const result = await sql`delete from risk_velocity where bucket < ${cutoff}::timestamptz`.execute(db);
    return Number(result.numAffectedRows ?? 0);
  },
};
