import { KeySet, type Jwk, type Jwks, type Key, type KeyKind } from '@opentsp/crypto';
import type { AuditLog } from '../audit/audit-log';
import type { Logger } from '../observability/logger';
import type { AuditActor } from '../store/audit-entries.table';
import { tspKeysRepository } from '../store/tsp-keys.repository';
import type { Executor } from '../store/transaction';
import type { Envelope, SealContext } from './envelope';
import type { TspKeyRing } from './tsp-key-ring';

/** The kinds of key the ring keeps one current key of. */
export const RING_KINDS: readonly KeyKind[] = ['ES256', 'RSA-OAEP-256', 'ECDH-ES+A256KW'];
const UNKNOWN_KID_RELOAD_MS = 1_000;
const sealContext = (kid: string): SealContext => ({ purpose: 'tsp-key', ownerRef: kid, field: 'jwk' });

export interface TspKeyRotation {
  /** New current kids, by algorithm. */
  current: Record<string, string>;
  /** Kids still published until `retireAfter`. */
  superseded: string[];
  retireAfter: string;
}

/**
 * The TSP key ring kept in Postgres (`tsp_keys`), each private JWK sealed by the vault
 * envelope under a data key of its own: every TSP process on the database shares the same
 * keys, and a retired key is crypto-shredded. Rotation makes new keys current at once; the
 * old ones stay published for `graceMs` (clients cache the JWKS and tokens signed just before
 * a rotation must still verify), then are retired. Other processes see a rotation on their
 * next periodic refresh, or at once when they meet an unknown `kid` (`ensureKid`).
 */
export class PersistentKeyRing implements TspKeyRing {
  #keys: KeySet = KeySet.create();
  #signing: Key | undefined;
  #lastRefresh = 0;

  constructor(
    private readonly db: Executor,
    private readonly envelope: Envelope,
    private readonly audit: AuditLog,
    private readonly logger: Logger,
    private readonly graceMs: number,
    /** Wall clock of the reload throttle and the grace period (tests move it instead of sleeping). */
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Creates the missing current keys (first start on a database), then loads the ring. */
  async initialise(): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tspKeysRepository.lock(tx);
      const live = await tspKeysRepository.live(tx);
      for (const kind of RING_KINDS) {
        if (!live.some((k) => k.alg === kind && k.status === 'current')) await this.#generate(tx, kind);
      }
    });
    await this.refresh();
  }

  signingKey(): Key {
    if (!this.#signing) throw new Error('the TSP key ring has no current signing key');
    return this.#signing;
  }

  decryptionKeys(): KeySet {
    return this.#keys;
  }

  publicJwks(): Jwks {
    return this.#keys.toPublicJwks();
  }

  async ensureKid(kid: string): Promise<boolean> {
    if (this.#keys.has(kid)) return true;
    if (this.clock().getTime() - this.#lastRefresh < UNKNOWN_KID_RELOAD_MS) return false;
    await this.refresh();
    return this.#keys.has(kid);
  }

  async refresh(): Promise<void> {
    this.#lastRefresh = this.clock().getTime();
    const live = await tspKeysRepository.live(this.db);
    const jwks: Jwk[] = [];
    for (const row of live) {
      if (!row.sealedJwk) continue;
      jwks.push((await this.envelope.open(this.db, row.sealedJwk, sealContext(row.kid))).json<Jwk>());
    }
    const keys = await KeySet.fromJson({ keys: jwks });
    const currentSig = live.filter((k) => k.alg === 'ES256' && k.status === 'current').pop();
    this.#keys = keys;
    this.#signing = currentSig ? keys.get(currentSig.kid) : this.#signing;
  }

  /** New current keys of every kind; the previous ones stay published for the grace period. */
  async rotate(actor: AuditActor, requestId?: string): Promise<TspKeyRotation> {
    const retireAfter = new Date(this.clock().getTime() + this.graceMs);
    const result = await this.db.transaction().execute(async (tx) => {
      await tspKeysRepository.lock(tx);
      const before = (await tspKeysRepository.live(tx)).filter((k) => k.status === 'current').map((k) => k.kid);
      const current: Record<string, string> = {};
      for (const kind of RING_KINDS) {
        await tspKeysRepository.supersede(tx, kind, retireAfter);
        current[kind] = await this.#generate(tx, kind);
      }
      await this.audit.append(tx, {
        actor,
        action: 'tsp_key.rotate',
        subject: { type: 'tsp_key_ring', id: 'jwks' },
        outcome: 'success',
        details: { current, superseded: before, retireAfter: retireAfter.toISOString() },
        ...(requestId ? { requestId } : {}),
      });
      return { current, superseded: before, retireAfter: retireAfter.toISOString() };
    });
    await this.refresh();
    return result;
  }

  /** Retires (and crypto-shreds) published keys whose grace period is over; returns their kids. */
  async retireExpired(now = new Date()): Promise<string[]> {
    const retired = await this.db.transaction().execute(async (tx) => {
      await tspKeysRepository.lock(tx);
      const expired = await tspKeysRepository.expired(tx, now);
      for (const key of expired) {
        if (key.sealedJwk) await this.envelope.destroyKey(tx, key.sealedJwk);
        await tspKeysRepository.retire(tx, key.kid);
        await this.audit.append(tx, {
          actor: { type: 'system' },
          action: 'tsp_key.retire',
          subject: { type: 'tsp_key', id: key.kid },
          outcome: 'success',
          details: { alg: key.alg },
        });
      }
      return expired.map((k) => k.kid);
    });
    if (retired.length) {
      this.logger.info({ kids: retired }, 'TSP keys retired');
      await this.refresh();
    }
    return retired;
  }

  async #generate(tx: Executor, kind: KeyKind): Promise<string> {
    const scratch = KeySet.create();
    const key = await scratch.generate(kind);
    const jwk = scratch.toPrivateJson().keys[0] as Jwk;
    const sealedJwk = await this.envelope.seal(tx, sealContext(key.kid), JSON.stringify(jwk), { dedicatedKey: true });
    await tspKeysRepository.insert(tx, { kid: key.kid, use: key.use, alg: key.alg, sealedJwk });
    return key.kid;
  }
}
