import { sql } from 'kysely';
import type { Executor } from './transaction';

export interface TspKeyRow {
  kid: string;
  use: 'sig' | 'enc';
  alg: string;
  status: 'current' | 'published' | 'retired';
  createdAt: Date;
  retireAfter: Date | null;
  sealedJwk: string | null;
}

// One advisory lock for "changing the TSP key ring" (create, rotate, retire).
const KEY_RING_LOCK = 0x4f545350524e4731n; // "OTSPRNG1"

/** Storage of the TSP's own JOSE keys (private JWKs sealed by the vault envelope). */
export const tspKeysRepository = {
  async lock(tx: Executor): Promise<void> {
    await sql`select pg_advisory_xact_lock(${KEY_RING_LOCK})`.execute(tx);
  },

  /** Keys still published (current and within their grace period), oldest first. */
  async live(executor: Executor): Promise<TspKeyRow[]> {
    const rows = await executor
      .selectFrom('tsp_keys')
      .selectAll()
      .where('status', 'in', ['current', 'published'])
      .orderBy('created_at')
      .execute();
    return rows.map((r) => ({
      kid: r.kid,
      use: r.use,
      alg: r.alg,
      status: r.status,
      createdAt: r.created_at,
      retireAfter: r.retire_after,
      sealedJwk: r.sealed_jwk,
    }));
  },

  async insert(tx: Executor, key: { kid: string; use: 'sig' | 'enc'; alg: string; sealedJwk: string }): Promise<void> {
    await tx
      .insertInto('tsp_keys')
      .values({ kid: key.kid, use: key.use, alg: key.alg, status: 'current', sealed_jwk: key.sealedJwk, retire_after: null, retired_at: null })
      .execute();
  },

  /** The current key of `alg` becomes `published` until `retireAfter`. */
  async supersede(tx: Executor, alg: string, retireAfter: Date): Promise<void> {
    await tx
      .updateTable('tsp_keys')
      .set({ status: 'published', retire_after: retireAfter })
      .where('alg', '=', alg)
      .where('status', '=', 'current')
      .execute();
  },

  /** Published keys whose grace period ended. */
  async expired(tx: Executor, now: Date): Promise<TspKeyRow[]> {
    return (await this.live(tx)).filter((k) => k.status === 'published' && k.retireAfter !== null && k.retireAfter <= now);
  },

  async retire(tx: Executor, kid: string): Promise<void> {
    await tx
      .updateTable('tsp_keys')
      .set({ status: 'retired', retired_at: new Date(), sealed_jwk: null })
      .where('kid', '=', kid)
      .execute();
  },
};
