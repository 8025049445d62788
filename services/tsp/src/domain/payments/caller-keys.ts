import type { Jwk } from '@opentsp/crypto';
import { clientsRepository } from '../../store/clients.repository';
import type { Executor } from '../../store/transaction';
import { BoundedCache } from '../../util/bounded-cache';
import type { IdentityRegistry } from '../identity';
import { AccessError } from '../../errors';
import type { SecretSealer } from './ports';

/** How the detokenize answer is encrypted to its caller (openapi `EncryptedCardForCaller`). */
export interface CallerKey {
  alg: 'A256GCMKW' | 'RSA-OAEP-256';
  jwk: Jwk;
}

interface CachedKey {
  /** The client record's `updatedAt` the key was read for: a change reloads it. */
  stamp: string;
  key: CallerKey;
}

/**
 * The response encryption keys of detokenizing callers. RSA-OAEP-256 keys are public and come
 * from the in-memory registry; A256GCMKW keys are secret, stored by identity sealed by the
 * vault, unsealed on first use and kept in a bounded cache (checked against the client
 * record's `updatedAt`, so a re-keyed client is never served with its old key).
 */
export class CallerKeys {
  readonly #cache: BoundedCache<CachedKey>;

  constructor(
    private readonly db: Executor,
    private readonly registry: IdentityRegistry,
    private readonly sealer: SecretSealer,
    cacheSize: number,
  ) {
    this.#cache = new BoundedCache(cacheSize);
  }

  /**
   * Whether the caller can receive card data at all (a registered response encryption), with
   * no I/O: the first check of a detokenization.
   */
  canReceive(clientId: string): boolean {
    const client = this.registry.getClient(clientId);
    if (!client) return false;
    if (client.responseEncryption?.alg === 'A256GCMKW') return true;
    return rsaKeyOf(client.jwks) !== undefined;
  }

  /** The caller's key. @throws AccessError `forbidden` when it has none usable. */
  async keyFor(clientId: string): Promise<CallerKey> {
    const client = this.registry.getClient(clientId);
    if (!client) throw noKey();
    const cached = this.#cache.get(clientId);
    if (cached && cached.stamp === client.updatedAt) return cached.key;
    let key: CallerKey | undefined;
    if (client.responseEncryption?.alg === 'A256GCMKW') {
      key = await this.#sharedKey(clientId);
    } else {
      const jwk = rsaKeyOf(client.jwks);
      if (jwk) key = { alg: 'RSA-OAEP-256', jwk };
    }
    if (!key) throw noKey();
    this.#cache.set(clientId, { stamp: client.updatedAt, key });
    return key;
  }

  async #sharedKey(clientId: string): Promise<CallerKey | undefined> {
    const row = await clientsRepository.get(this.db, clientId);
    const stored = row?.response_key_sealed;
    if (!stored) return undefined;
    // Identity stores the key sealed by the vault envelope (`ev1.…`); builds before that
    // sealing landed stored `plain:<jwk>`.
    const json = stored.startsWith('plain:')
      ? stored.slice('plain:'.length)
      : (await this.sealer.open(this.db, stored, { purpose: 'client-key', ownerRef: clientId })).toString('utf8');
    const jwk = JSON.parse(json) as Jwk;
    return { alg: 'A256GCMKW', jwk };
  }
}

/** The client's RSA-OAEP-256 encryption key from its registered JWKS (RFC 7517 §4.2 `use`). */
function rsaKeyOf(jwks: { keys: ReadonlyArray<Record<string, unknown>> } | undefined): Jwk | undefined {
  const key = jwks?.keys.find(
    (k) => k.kty === 'RSA' && (k.use === undefined || k.use === 'enc') && k.alg === 'RSA-OAEP-256' && typeof k.kid === 'string',
  );
  return key as Jwk | undefined;
}

function noKey(): AccessError {
  return new AccessError('forbidden', 'The caller has no registered response encryption key; card data cannot be sent to it.');
}
