import { KeySet, type Jwks, type Key } from '@opentsp/crypto';

/**
 * The TSP's own JOSE keys, published at `/.well-known/jwks.json`:
 * - `sig` (ES256): access tokens, webhook signatures (`OpenTSP-Signature`), signed push receipts;
 * - `enc` (RSA-OAEP-256 and ECDH-ES+A256KW): wallets encrypt card data to them (`encryptedCard`).
 * Keys rotate: a new key becomes current, older ones stay published (and usable for
 * verification/decryption) until retired.
 */
export interface TspKeyRing {
  /** The current signing key. */
  signingKey(): Key;
  /** Every private key that may decrypt an incoming JWE, by `kid`. */
  decryptionKeys(): KeySet;
  /** Public keys of every non-retired key, for the JWKS endpoint and local verification. */
  publicJwks(): Jwks;
  /**
   * Whether `kid` is a live key of the ring, reloading from the database first when it is
   * unknown (another process may have rotated). Reloads are rate-limited, so a flood of
   * made-up kids costs nothing. Call it before failing a JWE/JWS on an unknown `kid`.
   *
   * @example
   * ```ts
   * if (!keyRing.decryptionKeys().has(kid) && !(await keyRing.ensureKid?.(kid))) throw jweInvalid();
   * ```
   * Optional so in-memory rings (tests, tools) need not implement it.
   */
  ensureKid?(kid: string): Promise<boolean>;
  /** Reloads the ring now (the persistent ring also does so in the background every 30 s). */
  refresh?(): Promise<void>;
}

/**
 * A key ring held only in memory: one ES256, one RSA-OAEP-256 and one ECDH-ES+A256KW key.
 * For tests and tools; the service uses the vault's persistent key ring.
 */
export async function createEphemeralKeyRing(): Promise<TspKeyRing> {
  const keys = KeySet.create();
  const signing = await keys.generate('ES256', { use: 'sig' });
  await keys.generate('RSA-OAEP-256', { use: 'enc' });
  await keys.generate('ECDH-ES+A256KW', { use: 'enc' });
  return {
    signingKey: () => signing,
    decryptionKeys: () => keys,
    publicJwks: () => keys.toPublicJwks(),
    ensureKid: async (kid) => keys.has(kid),
    refresh: async () => undefined,
  };
}
