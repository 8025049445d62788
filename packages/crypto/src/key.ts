import { createPrivateKey, createPublicKey, type JsonWebKey as NodeJwk, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import type { JWK } from 'node-jose';
import { CryptoError } from './errors';
import { b64uDecode } from './encoding';

// Type aliases rather than interfaces: aliases are assignable to the indexable `Jwk`, so a
// published key can be handed straight back as a recipient or a JWKS member.
/** Members every JWK this package hands out carries (RFC 7517 §4.2, §4.4, §4.5). */
type JwkCommon = {
  kid: string;
  use: 'sig' | 'enc';
  alg: string;
};

/** A public RSA key as published in the JWKS (RFC 7518 §6.3.1). */
export type RsaPublicJwk = JwkCommon & {
  kty: 'RSA';
  n: string;
  e: string;
};

/** A public P-256 key as published in the JWKS (RFC 7518 §6.2.1). */
export type EcPublicJwk = JwkCommon & {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
};

export type PublicJwk = RsaPublicJwk | EcPublicJwk;

/** A symmetric AES key-wrap key (RFC 7518 §6.4); secret, never published. */
export type OctJwk = JwkCommon & {
  kty: 'oct';
  k: string;
};

/** Any JWK given to this package from outside (a recipient, a JWKS member). */
export interface Jwk {
  kty: string;
  kid?: string;
  use?: string;
  alg?: string;
  [member: string]: unknown;
}

/** A JWK Set (RFC 7517 §5). */
export interface Jwks<K = Jwk> {
  keys: K[];
}

// Whitelists, not blacklists: whatever else a JWK carries (private members, x5c, vendor
// extras) never leaves through the public view.
const PUBLIC_MEMBERS: Record<string, readonly string[]> = { RSA: ['n', 'e'], EC: ['crv', 'x', 'y'] };

/** Copies only the public members of an RSA or EC JWK, or returns `undefined` for anything else. */
export function publicMembers(jwk: Record<string, unknown>): Record<string, string> | undefined {
  const names = typeof jwk.kty === 'string' ? PUBLIC_MEMBERS[jwk.kty] : undefined;
  if (!names) return undefined;
  const out: Record<string, string> = { kty: jwk.kty as string };
  for (const name of names) {
    const value = jwk[name];
    if (typeof value !== 'string') return undefined;
    out[name] = value;
  }
  return out;
}

interface Material {
  jose: JWK.Key;
  privateKey?: KeyObject;
  publicKey?: KeyObject;
  secret?: Buffer;
}

// Key material lives outside the instance so no enumeration, spread or JSON of a Key can
// reach it; node:crypto KeyObjects are built once per key and reused on every operation.
const materials = new WeakMap<Key, Material>();

/**
 * One key of a {@link KeySet}: identity and intended use, plus private material that cannot
 * be printed (`JSON.stringify`, `console.log` show only the public view).
 *
 * @example
 * ```ts
 * const key = await keys.generate('ES256');
 * key.kid; // 'k7Qx…'
 * key.toPublicJwk(); // { kty: 'EC', crv: 'P-256', x, y, kid, use: 'sig', alg: 'ES256' }
 * ```
 */
export class Key {
  readonly kid: string;
  readonly kty: 'RSA' | 'EC' | 'oct';
  readonly use: 'sig' | 'enc';
  readonly alg: string;

  /** @internal Keys are made by {@link KeySet}; this wraps a node-jose key. */
  constructor(jose: JWK.Key) {
    this.kid = jose.kid;
    this.kty = jose.kty as Key['kty'];
    this.use = jose.use as Key['use'];
    this.alg = jose.alg;
    materials.set(this, { jose });
  }

  /**
   * The public half as a JWK with `kid`, `use` and `alg`. Symmetric keys have none.
   *
   * @example
   * ```ts
   * const jwk = keys.get('sig-2025-01').toPublicJwk();
   * ```
   * @throws CryptoError `key_invalid` for an `oct` key.
   */
  toPublicJwk(): PublicJwk {
    const pub = publicMembers(materialOf(this).jose.toJSON(false) as Record<string, unknown>);
    if (!pub) throw new CryptoError('key_invalid', `key ${this.kid} has no public part`);
    return { ...pub, kid: this.kid, use: this.use, alg: this.alg } as PublicJwk;
  }

  /** What `JSON.stringify` shows: the public view, never secret members. */
  toJSON(): PublicJwk | { kid: string; kty: 'oct'; use: string; alg: string } {
    if (this.kty === 'oct') return { kid: this.kid, kty: 'oct', use: this.use, alg: this.alg };
    return this.toPublicJwk();
  }

  [inspect.custom](): string {
    return `Key { kid: ${this.kid}, kty: ${this.kty}, use: ${this.use}, alg: ${this.alg} }`;
  }
}

function materialOf(key: Key): Material {
  const material = materials.get(key);
  if (!material) throw new CryptoError('key_invalid', 'not a key of a KeySet');
  return material;
}

/** @internal The node-jose key behind a {@link Key}. */
export function joseKeyOf(key: Key): JWK.Key {
  return materialOf(key).jose;
}

/** @internal The private KeyObject of an RSA/EC key, built once. */
export function privateKeyObjectOf(key: Key): KeyObject {
  const material = materialOf(key);
  if (!material.privateKey) {
    const jwk = material.jose.toJSON(true) as Record<string, unknown>;
    if (key.kty === 'oct' || typeof jwk.d !== 'string') {
      throw new CryptoError('key_invalid', `key ${key.kid} has no private part`);
    }
    material.privateKey = createPrivateKey({ key: jwk as NodeJwk, format: 'jwk' });
  }
  return material.privateKey;
}

/** @internal The public KeyObject of an RSA/EC key, built once. */
export function publicKeyObjectOf(key: Key): KeyObject {
  const material = materialOf(key);
  if (!material.publicKey) material.publicKey = publicKeyFromJwk(material.jose.toJSON(false) as Jwk);
  return material.publicKey;
}

/** @internal The raw bytes of an `oct` key. */
export function secretOf(key: Key): Buffer {
  const material = materialOf(key);
  if (!material.secret) {
    const k = (material.jose.toJSON(true) as Record<string, unknown>).k;
    const bytes = typeof k === 'string' ? b64uDecode(k) : undefined;
    if (key.kty !== 'oct' || !bytes) throw new CryptoError('key_invalid', `key ${key.kid} is not a symmetric key`);
    material.secret = bytes;
  }
  return material.secret;
}

const importedPublicKeys = new WeakMap<object, KeyObject>();

/**
 * @internal A public KeyObject from a plain RSA or P-256 JWK, cached per JWK object so a
 * caller that keeps its JWK pays for the import once.
 */
export function publicKeyFromJwk(jwk: Jwk): KeyObject {
  const cached = importedPublicKeys.get(jwk);
  if (cached) return cached;
  const pub = publicMembers(jwk);
  if (!pub || (pub.kty === 'EC' && pub.crv !== 'P-256')) {
    throw new CryptoError('key_invalid', 'expected an RSA or P-256 public JWK');
  }
  let keyObject: KeyObject;
  try {
    // Node (OpenSSL) refuses an EC point that is not on the curve here, which closes the
    // invalid-curve attack on ECDH-ES through a crafted `epk` (tested in jwe tests).
    keyObject = createPublicKey({ key: pub as NodeJwk, format: 'jwk' });
  } catch {
    throw new CryptoError('key_invalid', 'the JWK is not a valid public key');
  }
  // RFC 7518 §4.2/§4.3: RSA keys of 2048 bits or more MUST be used.
  if (keyObject.asymmetricKeyType === 'rsa' && (keyObject.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new CryptoError('key_invalid', 'RSA keys must be at least 2048 bits');
  }
  importedPublicKeys.set(jwk, keyObject);
  return keyObject;
}
