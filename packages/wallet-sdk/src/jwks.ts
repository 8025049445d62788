import type { components } from '@opentsp/api-types';
import { importJWK, type JWK } from 'jose';
import { IntegrationError } from './errors';
import type { Clock } from './platform';

/*
 * JOSE in the SDK is panva `jose`, not node-jose (the TSP's, behind @opentsp/crypto): `jose`
 * runs on WebCrypto, so the same code works in Node ≥ 20, browsers and React Native (with a
 * WebCrypto polyfill); node-jose needs Node's crypto and Buffer.
 */

export type Jwks = components['schemas']['Jwks'];
export type PublicJwk = components['schemas']['Jwk'];
/** The key-management algorithms the TSP accepts for `encryptedCard`. */
export type CardEncryptionAlg = 'RSA-OAEP-256' | 'ECDH-ES+A256KW';

/** Where ES256 verification keys come from, by `kid` (a live JWKS, or a fixed one in tests). */
export interface VerificationKeys {
  /** The `sig` key with this `kid`, or `undefined` when there is none (even after a refresh). */
  verificationKey(kid: string, signal?: AbortSignal): Promise<CryptoKey | undefined>;
}

export interface JwksCacheOptions {
  /** Re-fetch the JWKS when the copy is older than this (default 10 minutes). */
  maxAgeMs?: number;
  /**
   * Least time between re-fetches caused by an unknown `kid` in something received (a webhook,
   * a push receipt), so forged `kid`s cannot make the SDK hammer the TSP (default 30 s).
   */
  unknownKidCooldownMs?: number;
  clock?: Clock;
}

interface Snapshot {
  jwks: Jwks;
  fetchedAt: number;
}

/**
 * The TSP's public keys from `GET /.well-known/jwks.json`, cached, with imported keys cached
 * by `kid`. Refreshed when older than `maxAgeMs`, when the TSP refuses a JWE (`jwe_invalid`:
 * it may have rotated its `enc` key), and when a signature names an unknown `kid`.
 *
 * @example
 * ```ts
 * const { kid, alg } = await wallet.jwks.encryptionKey();
 * ```
 */
export class JwksCache implements VerificationKeys {
  readonly #fetch: (signal?: AbortSignal) => Promise<Jwks>;
  readonly #maxAgeMs: number;
  readonly #cooldownMs: number;
  readonly #clock: Clock;
  #snapshot: Snapshot | undefined;
  #pending: Promise<Snapshot> | undefined;
  #lastUnknownKidRefresh = -Infinity;
  readonly #imported = new Map<string, { json: string; key: Promise<CryptoKey> }>();

  constructor(fetchJwks: (signal?: AbortSignal) => Promise<Jwks>, options: JwksCacheOptions = {}) {
    this.#fetch = fetchJwks;
    this.#maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
    this.#cooldownMs = options.unknownKidCooldownMs ?? 30_000;
    this.#clock = options.clock ?? Date.now;
  }

  /**
   * The JWKS: the cached copy while it is fresh, else a new one (one fetch in flight at a time).
   *
   * @example
   * ```ts
   * const { keys } = await jwks.get({ refresh: true });
   * ```
   */
  async get(options: { refresh?: boolean; signal?: AbortSignal } = {}): Promise<Jwks> {
    const snap = this.#snapshot;
    if (!options.refresh && snap && this.#clock() - snap.fetchedAt < this.#maxAgeMs) return snap.jwks;
    this.#pending ??= this.#fetch(options.signal)
      .then((jwks) => {
        if (!Array.isArray(jwks?.keys)) throw new IntegrationError({ code: 'invalid_response', detail: 'The JWKS has no keys array.' });
        this.#snapshot = { jwks, fetchedAt: this.#clock() };
        return this.#snapshot;
      })
      .finally(() => {
        this.#pending = undefined;
      });
    return (await this.#pending).jwks;
  }

  /**
   * The TSP's current card-encryption key: the first `enc` key of the most preferred algorithm
   * (RSA-OAEP-256 first, then ECDH-ES+A256KW, unless `preferred` says otherwise).
   *
   * @example
   * ```ts
   * const { jwk, alg, key } = await jwks.encryptionKey(['ECDH-ES+A256KW', 'RSA-OAEP-256']);
   * ```
   * @throws IntegrationError `jwks_key_unavailable` when the TSP publishes no such key.
   */
  async encryptionKey(
    preferred: readonly CardEncryptionAlg[] = ['RSA-OAEP-256', 'ECDH-ES+A256KW'],
    signal?: AbortSignal,
  ): Promise<{ jwk: PublicJwk & { kid: string }; alg: CardEncryptionAlg; key: CryptoKey }> {
    const { keys } = await this.get({ signal });
    for (const alg of preferred) {
      const jwk = keys.find((k) => k.use === 'enc' && k.alg === alg);
      if (jwk) return { jwk, alg, key: await this.#import(jwk, alg) };
    }
    throw new IntegrationError({
      code: 'jwks_key_unavailable',
      detail: `The TSP's JWKS has no enc key for ${preferred.join(' or ')}.`,
    });
  }

  /**
   * The ES256 `sig` key with this `kid`. An unknown `kid` triggers one refresh (the TSP may
   * have rotated), at most once per cooldown period.
   *
   * @example
   * ```ts
   * const key = await jwks.verificationKey(header.kid);
   * ```
   */
  async verificationKey(kid: string, signal?: AbortSignal): Promise<CryptoKey | undefined> {
    let jwk = findSigKey(await this.get({ signal }), kid);
    if (!jwk && this.#clock() - this.#lastUnknownKidRefresh >= this.#cooldownMs) {
      this.#lastUnknownKidRefresh = this.#clock();
      jwk = findSigKey(await this.get({ refresh: true, signal }), kid);
    }
    return jwk ? this.#import(jwk, 'ES256') : undefined;
  }

  /**
   * Forgets the cached JWKS, e.g. after the TSP answered `jwe_invalid`.
   *
   * @example
   * ```ts
   * wallet.jwks.invalidate();
   * ```
   */
  invalidate(): void {
    this.#snapshot = undefined;
  }

  #import(jwk: PublicJwk, alg: string): Promise<CryptoKey> {
    // Cached by kid; a kid re-published with other key material is imported again.
    const json = JSON.stringify(jwk);
    const cached = this.#imported.get(jwk.kid);
    if (cached?.json === json) return cached.key;
    const key = importJWK(jwk as JWK, alg) as Promise<CryptoKey>;
    this.#imported.set(jwk.kid, { json, key });
    key.catch(() => this.#imported.delete(jwk.kid));
    return key;
  }
}

/**
 * Verification keys from a fixed JWKS, e.g. the one `generateTestWebhookKey` returns.
 *
 * @example
 * ```ts
 * await verifyWebhook(rawBody, headers, { keys: staticJwks(testKey.jwks) });
 * ```
 */
export function staticJwks(jwks: Jwks): VerificationKeys {
  const imported = new Map<string, Promise<CryptoKey>>();
  return {
    async verificationKey(kid) {
      const jwk = findSigKey(jwks, kid);
      if (!jwk) return undefined;
      let key = imported.get(kid);
      if (!key) imported.set(kid, (key = importJWK(jwk as JWK, 'ES256') as Promise<CryptoKey>));
      return key;
    },
  };
}

function findSigKey(jwks: Jwks, kid: string): PublicJwk | undefined {
  return jwks.keys.find((k) => k.kid === kid && k.kty === 'EC' && k.alg === 'ES256' && (k.use === undefined || k.use === 'sig'));
}
