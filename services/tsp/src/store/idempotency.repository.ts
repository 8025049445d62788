import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from './schema';

export type IdempotencyBegin =
  | { kind: 'proceed' }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'mismatch' }
  | { kind: 'in_progress' };

/**
 * Seals stored responses: they can hold secrets shown once (a new client's secret, an
 * acquirer's response key), so they are kept encrypted like any other secret at rest.
 */
export interface ResponseSealer {
  seal(clientId: string, key: string, json: string): Promise<string>;
  open(clientId: string, key: string, sealed: string): Promise<string>;
}

export interface IdempotencyTimings {
  /** How long an in-progress claim blocks others before a retry may take over. */
  lockMs: number;
  /** How long a finished response is kept for replay. */
  retainMs: number;
}

/**
 * Storage for `Idempotency-Key` claims. A claim is taken with one INSERT … ON CONFLICT, so
 * two concurrent requests with the same key cannot both proceed.
 */
export class IdempotencyRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly timings: IdempotencyTimings,
    private readonly sealer?: ResponseSealer,
  ) {}

  async begin(clientId: string, rawKey: string, requestHash: string): Promise<IdempotencyBegin> {
    const key = storedKey(rawKey);
    const now = Date.now();
    const claimed = await this.db
      .insertInto('idempotency_keys')
      .values({
        client_id: clientId,
        key,
        request_hash: requestHash,
        state: 'in_progress',
        locked_until: new Date(now + this.timings.lockMs),
        response_status: null,
        response_body: null,
        expires_at: new Date(now + this.timings.retainMs),
      })
      .onConflict((oc) => oc.columns(['client_id', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (claimed) return { kind: 'proceed' };

    const existing = await this.db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('client_id', '=', clientId)
      .where('key', '=', key)
      .executeTakeFirst();
    if (!existing) return this.begin(clientId, rawKey, requestHash); // expired and purged meanwhile
    if (existing.request_hash !== requestHash) return { kind: 'mismatch' };
    if (existing.state === 'done') {
      const stored = existing.response_body as { sealed?: string } | null;
      const body =
        this.sealer && stored && typeof stored.sealed === 'string'
          ? JSON.parse(await this.sealer.open(clientId, key, stored.sealed))
          : existing.response_body;
      return { kind: 'replay', status: existing.response_status ?? 200, body };
    }
    // A claim whose holder crashed may be taken over once its lock lapsed.
    const takenOver = await this.db
      .updateTable('idempotency_keys')
      .set({ locked_until: new Date(now + this.timings.lockMs) })
      .where('client_id', '=', clientId)
      .where('key', '=', key)
      .where('state', '=', 'in_progress')
      .where('locked_until', '<', new Date(now))
      .returning('key')
      .executeTakeFirst();
    return takenOver ? { kind: 'proceed' } : { kind: 'in_progress' };
  }

  /**
   * Records the response. Pass the domain's transaction as `executor` to make the record part
   * of the same commit as the state change (then a crash can never leave one without the other).
   */
  async complete(
    clientId: string,
    rawKey: string,
    status: number,
    body: unknown,
    executor: Kysely<Database> = this.db,
  ): Promise<void> {
    const key = storedKey(rawKey);
    const json = JSON.stringify(body ?? null);
    const stored = this.sealer ? JSON.stringify({ sealed: await this.sealer.seal(clientId, key, json) }) : json;
    await executor
      .updateTable('idempotency_keys')
      .set({ state: 'done', response_status: status, response_body: stored })
      .where('client_id', '=', clientId)
      .where('key', '=', key)
      .execute();
  }

  /** Forgets a claim whose request failed on our side (5xx), so the client's retry runs again. */
  async release(clientId: string, rawKey: string): Promise<void> {
    const key = storedKey(rawKey);
    await this.db
      .deleteFrom('idempotency_keys')
      .where('client_id', '=', clientId)
      .where('key', '=', key)
      .where('state', '=', 'in_progress')
      .execute();
  }

  async purgeExpired(): Promise<number> {
    const result = await this.db.deleteFrom('idempotency_keys').where('expires_at', '<', sql<Date>`now()`).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/**
 * Keys are stored as SHA-256 hashes: a key is whatever the client chose (a card number, by
 * mistake, would otherwise sit in clear in the database).
 */
export function storedKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
