import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema';

export type IdempotencyBegin =
  | { kind: 'proceed' }
  | { kind: 'replay'; status: number; body: unknown; replayAudit?: ReplayAudit }
  | { kind: 'mismatch' }
  | { kind: 'in_progress' };

/** The audit entry a replay of this answer writes (no card data: token, decision, merchant …). */
export interface ReplayAudit {
  action: string;
  subject: { type: string; id: string };
  details: Record<string, unknown>;
}

/**
 * What an answer holding card data is bound to (DESIGN §4): it is sealed under the card's own
 * data key, so deleting the card (crypto-shredding its key) makes the stored answer unreadable
 * too; each replay writes `replayAudit`.
 */
export interface CardBinding {
  cardRef: string;
  replayAudit?: ReplayAudit;
}

/**
 * Seals stored responses: they can hold secrets shown once (a new client's secret, an
 * acquirer's response key), so they are kept encrypted like any other secret at rest.
 * With a `cardRef` the answer is sealed under that card's data key; `open` then gives
 * `undefined` once the card is deleted (or its PAN replaced): the answer is gone.
 */
export interface ResponseSealer {
  seal(clientId: string, key: string, json: string, executor: Kysely<Database>, cardRef?: string): Promise<string>;
  open(clientId: string, key: string, sealed: string, cardRef?: string): Promise<string | undefined>;
}

/** A stored `response_body` when sealed: the ciphertext and, for card data, the card it is bound to. */
interface SealedBody {
  sealed: string;
  cardRef?: string;
  replayAudit?: ReplayAudit;
}

export interface IdempotencyTimings {
  /** How long an in-progress claim blocks others before a retry may take over. */
  lockMs: number;
  /** How long a response is kept for replay (DESIGN §4: 24 h; `OPENTSP_IDEMPOTENCY_RETENTION_HOURS`). */
  retainMs: number;
}

/**
 * Storage for `Idempotency-Key` claims. A claim is taken with one INSERT … ON CONFLICT, so
 * two concurrent requests with the same key cannot both proceed. A record past `expires_at`
 * is never replayed (it is deleted and the key claimed afresh) whether or not the purge job
 * (`purgeExpired`, scheduled in the job worker) has removed it yet. `clock` is injectable so
 * tests see retention pass without waiting.
 */
export class IdempotencyRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly timings: IdempotencyTimings,
    private readonly sealer?: ResponseSealer,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async begin(clientId: string, rawKey: string, requestHash: string): Promise<IdempotencyBegin> {
    const key = storedKey(rawKey);
    const now = this.clock().getTime();
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
    if (existing.expires_at.getTime() <= now) {
      // Past retention: forget it (only if still expired: another request may have renewed it).
      await this.db
        .deleteFrom('idempotency_keys')
        .where('client_id', '=', clientId)
        .where('key', '=', key)
        .where('expires_at', '<=', new Date(now))
        .execute();
      return this.begin(clientId, rawKey, requestHash);
    }
    if (existing.request_hash !== requestHash) return { kind: 'mismatch' };
    if (existing.state === 'done') {
      const stored = existing.response_body as Partial<SealedBody> | null;
      if (!this.sealer || !stored || typeof stored.sealed !== 'string') {
        return { kind: 'replay', status: existing.response_status ?? 200, body: existing.response_body };
      }
      const json = await this.sealer.open(clientId, key, stored.sealed, stored.cardRef);
      // The card the answer held was deleted: the answer is gone with it. The request runs
      // again, through every check and audit of the operation (which refuses a deleted card).
      if (json === undefined) return this.#reclaim(clientId, key, now);
      return {
        kind: 'replay',
        status: existing.response_status ?? 200,
        body: JSON.parse(json),
        ...(stored.replayAudit ? { replayAudit: stored.replayAudit } : {}),
      };
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

  /** Turns a finished record whose answer is gone back into a claim (one of concurrent callers wins). */
  async #reclaim(clientId: string, key: string, now: number): Promise<IdempotencyBegin> {
    const reclaimed = await this.db
      .updateTable('idempotency_keys')
      .set({ state: 'in_progress', locked_until: new Date(now + this.timings.lockMs), response_status: null, response_body: null })
      .where('client_id', '=', clientId)
      .where('key', '=', key)
      .where('state', '=', 'done')
      .returning('key')
      .executeTakeFirst();
    return reclaimed ? { kind: 'proceed' } : { kind: 'in_progress' };
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
    card?: CardBinding,
  ): Promise<void> {
    const key = storedKey(rawKey);
    const json = JSON.stringify(body ?? null);
    if (card && !this.sealer) throw new Error('an answer holding card data is never stored unsealed');
    let stored = json;
    if (this.sealer) {
      const sealed: SealedBody = { sealed: await this.sealer.seal(clientId, key, json, executor, card?.cardRef) };
      if (card) Object.assign(sealed, { cardRef: card.cardRef }, card.replayAudit ? { replayAudit: card.replayAudit } : {});
      stored = JSON.stringify(sealed);
    }
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

  /** Deletes every record past its retention (the scheduled purge job); returns how many. */
  async purgeExpired(): Promise<number> {
    const result = await this.db.deleteFrom('idempotency_keys').where('expires_at', '<=', this.clock()).executeTakeFirst();
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
