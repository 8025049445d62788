import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { JWK } from 'node-jose';
import { CryptoError } from './errors';
import { b64uDecode, b64uEncode, isPlainObject } from './encoding';
import { Key, publicMembers, type Jwk, type Jwks, type OctJwk, type PublicJwk } from './key';

/** The kinds of key OpenTSP generates; each binds one algorithm to the key (RFC 7517 §4.4). */
export type KeyKind = 'ES256' | 'RSA-OAEP-256' | 'ECDH-ES+A256KW' | 'A256GCMKW';

const KINDS: Record<KeyKind, { kty: 'EC' | 'RSA' | 'oct'; size: string | number; use: 'sig' | 'enc' }> = {
  ES256: { kty: 'EC', size: 'P-256', use: 'sig' },
  'RSA-OAEP-256': { kty: 'RSA', size: 2048, use: 'enc' },
  'ECDH-ES+A256KW': { kty: 'EC', size: 'P-256', use: 'enc' },
  A256GCMKW: { kty: 'oct', size: 256, use: 'enc' },
};

// Algorithms a key loaded from JSON may be bound to, with the key type each needs.
// RSA-OAEP (SHA-1) stays readable for clients that cannot do OAEP with SHA-256.
const KTY_OF_ALG: Record<string, 'EC' | 'RSA' | 'oct'> = {
  ES256: 'EC',
  'ECDH-ES+A256KW': 'EC',
  'RSA-OAEP-256': 'RSA',
  'RSA-OAEP': 'RSA',
  A256GCMKW: 'oct',
};

/** A random key id: 96 bits, base64url (16 characters). */
export function randomKid(): string {
  return b64uEncode(randomBytes(12));
}

/**
 * The TSP's own keys (signing, encryption, symmetric key-wrap), backed by a node-jose
 * keystore. Every key has a unique `kid`, a `use` and an `alg`; lookups are by `kid` only.
 *
 * @example
 * ```ts
 * const keys = KeySet.create();
 * await keys.generate('ES256', { kid: 'sig-2025-01' });
 * await keys.generate('RSA-OAEP-256');
 * res.json(keys.toPublicJwks()); // GET /.well-known/jwks.json
 * const sealed = await sealJson(keys.toPrivateJson(), passphrase);
 * ```
 */
export class KeySet {
  readonly #store: JWK.KeyStore;
  readonly #keys = new Map<string, Key>();

  private constructor(store: JWK.KeyStore) {
    this.#store = store;
  }

  /**
   * An empty key set.
   *
   * @example
   * ```ts
   * const keys = KeySet.create();
   * ```
   */
  static create(): KeySet {
    return new KeySet(JWK.createKeyStore());
  }

  /**
   * Loads a key set saved with {@link KeySet.toPrivateJson} (or any JWKS whose keys carry
   * `kid`, `use` and a supported `alg`). Public-only keys are allowed; they can verify and
   * encrypt but not sign or decrypt.
   *
   * @example
   * ```ts
   * const keys = await KeySet.fromJson(await openSealedJson(sealed, passphrase));
   * ```
   * @throws CryptoError `key_invalid` when a key is malformed or a `kid` repeats.
   */
  static async fromJson(privateJwks: object): Promise<KeySet> {
    const list: unknown = (privateJwks as { keys?: unknown }).keys;
    if (!Array.isArray(list)) throw new CryptoError('key_invalid', 'expected a JWK set { keys: [...] }');
    const set = KeySet.create();
    for (const jwk of list) await set.add(jwk as Jwk);
    return set;
  }

  /**
   * Adds one JWK (private or public), e.g. a key restored from a backup.
   *
   * @example
   * ```ts
   * await keys.add({ kty: 'oct', kid: 'acq-1', use: 'enc', alg: 'A256GCMKW', k });
   * ```
   * @throws CryptoError `key_invalid`.
   */
  async add(jwk: Jwk): Promise<Key> {
    checkImportable(jwk);
    if (this.#keys.has(jwk.kid as string)) throw duplicateKid(jwk.kid as string);
    let joseKey: JWK.Key;
    try {
      joseKey = await this.#store.add(jwk);
    } catch {
      throw new CryptoError('key_invalid', `key ${jwk.kid as string} cannot be imported`);
    }
    return this.#remember(joseKey);
  }

  /**
   * Generates a key of one {@link KeyKind} with a random `kid` unless one is given. `use`
   * follows from the kind (`sig` for ES256, `enc` otherwise); passing a different one fails.
   *
   * @example
   * ```ts
   * const enc = await keys.generate('ECDH-ES+A256KW', { kid: 'enc-2025-01' });
   * ```
   * @throws CryptoError `unsupported_algorithm` for an unknown kind, `key_invalid` for a
   * taken `kid` or a `use` that contradicts the kind.
   */
  async generate(kind: KeyKind, options: { kid?: string; use?: 'sig' | 'enc' } = {}): Promise<Key> {
    const spec = KINDS[kind];
    if (!spec) throw new CryptoError('unsupported_algorithm', `cannot generate a key of kind ${String(kind)}`);
    if (options.use !== undefined && options.use !== spec.use) {
      throw new CryptoError('key_invalid', `a ${kind} key has use "${spec.use}"`);
    }
    const kid = options.kid ?? randomKid();
    if (this.#keys.has(kid)) throw duplicateKid(kid);
    const joseKey =
      spec.kty === 'EC'
        ? await this.#store.add({ ...(await nativeEcPrivateJwk(spec.size as 'P-256')), kid, use: spec.use, alg: kind })
        : await this.#store.generate(spec.kty, spec.size, { kid, use: spec.use, alg: kind });
    return this.#remember(joseKey);
  }

  /**
   * The key with this `kid`.
   *
   * @example
   * ```ts
   * const key = keys.get(header.kid);
   * ```
   * @throws CryptoError `key_not_found`.
   */
  get(kid: string): Key {
    const key = this.#keys.get(kid);
    if (!key) throw new CryptoError('key_not_found', 'no key with this kid');
    return key;
  }

  /**
   * The key with this `kid`, or `undefined`.
   *
   * @example
   * ```ts
   * if (!keys.find(kid)) await refreshJwks();
   * ```
   */
  find(kid: string): Key | undefined {
    return this.#keys.get(kid);
  }

  /**
   * Whether a key with this `kid` is in the set.
   *
   * @example
   * ```ts
   * keys.has('sig-2025-01'); // true
   * ```
   */
  has(kid: string): boolean {
    return this.#keys.has(kid);
  }

  /**
   * All keys, in the order they were added.
   *
   * @example
   * ```ts
   * const signing = keys.list().filter((k) => k.use === 'sig');
   * ```
   */
  list(): Key[] {
    return [...this.#keys.values()];
  }

  /**
   * Removes a key (after rotation, once nothing signed or encrypted with it is in flight).
   *
   * @example
   * ```ts
   * keys.remove('sig-2024-07'); // true
   * ```
   */
  remove(kid: string): boolean {
    const key = this.#keys.get(kid);
    if (!key) return false;
    this.#store.remove(this.#store.get(kid));
    this.#keys.delete(kid);
    return true;
  }

  /**
   * The public JWKS to publish: RSA and EC keys only, each with `kid`, `use`, `alg` and its
   * public members. Symmetric (`oct`) keys are never included.
   *
   * @example
   * ```ts
   * app.get('/.well-known/jwks.json', (_req, res) => res.json(keys.toPublicJwks()));
   * ```
   */
  toPublicJwks(): Jwks<PublicJwk> {
    return { keys: this.list().filter((key) => key.kty !== 'oct').map((key) => key.toPublicJwk()) };
  }

  /**
   * Every key with its private members, for sealing with {@link sealJson}. Treat the result
   * as secret: never log it, never write it unsealed.
   *
   * @example
   * ```ts
   * await writeFile(path, await sealJson(keys.toPrivateJson(), passphrase));
   * ```
   */
  toPrivateJson(): Jwks<Jwk> {
    return this.#store.toJSON(true) as Jwks<Jwk>;
  }

  #remember(joseKey: JWK.Key): Key {
    const key = new Key(joseKey);
    this.#keys.set(key.kid, key);
    return key;
  }
}

function duplicateKid(kid: string): CryptoError {
  return new CryptoError('key_invalid', `kid ${kid} is already in the key set`);
}

function checkImportable(jwk: unknown): asserts jwk is Jwk & { kid: string; alg: string } {
  if (!isPlainObject(jwk)) throw new CryptoError('key_invalid', 'a JWK must be an object');
  const { kid, alg, use, kty } = jwk;
  if (typeof kid !== 'string' || kid === '') throw new CryptoError('key_invalid', 'every key needs a kid');
  const wantKty = typeof alg === 'string' ? KTY_OF_ALG[alg] : undefined;
  if (!wantKty || kty !== wantKty) throw new CryptoError('key_invalid', `key ${kid} has an unsupported kty/alg`);
  const wantUse = alg === 'ES256' ? 'sig' : 'enc';
  if (use !== wantUse) throw new CryptoError('key_invalid', `key ${kid} must have use "${wantUse}"`);
  if (kty === 'EC' && jwk.crv !== 'P-256') throw new CryptoError('key_invalid', `key ${kid} must be on P-256`);
  if (kty === 'oct' && (typeof jwk.k !== 'string' || b64uDecode(jwk.k)?.length !== 32)) {
    throw new CryptoError('key_invalid', `key ${kid} must be 32 bytes`);
  }
  if (kty !== 'oct' && !publicMembers(jwk)) throw new CryptoError('key_invalid', `key ${kid} lacks public members`);
}

/**
 * A fresh 256-bit A256GCMKW key as a private JWK: issued once to an acquirer at onboarding,
 * so the TSP can encrypt detokenized card data to it (RFC 7518 §4.7).
 *
 * @example
 * ```ts
 * const jwk = generateOctKey('acq_7f3a-2025');
 * // show jwk to the acquirer once; store it encrypted (vault) for encryptCompact
 * ```
 */
export function generateOctKey(kid: string = randomKid()): OctJwk {
  return { kty: 'oct', kid, use: 'enc', alg: 'A256GCMKW', k: b64uEncode(randomBytes(32)) };
}

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * An EC private key made by Node's crypto (OpenSSL) on the thread pool. node-jose derives an EC
 * public key in JavaScript big-number arithmetic: slow (tens of ms of event-loop time per key)
 * and not constant-time, which is no way to make a long-lived private key.
 */
async function nativeEcPrivateJwk(namedCurve: 'P-256'): Promise<Jwk> {
  const { privateKey } = await generateKeyPairAsync('ec', { namedCurve });
  return privateKey.export({ format: 'jwk' }) as Jwk;
}
