import { randomBytes, sign as ecSign, verify as ecVerify, type KeyObject } from 'node:crypto';
import { CryptoError } from './errors';
import { b64uDecode, b64uEncode, decodeJsonObject, isPlainObject, nowSeconds } from './encoding';
import { Key, privateKeyObjectOf, publicKeyFromJwk, type Jwk, type Jwks } from './key';
import type { SigningKey } from './jws';

/*
 * JWTs (RFC 7519) for access tokens and client assertions, ES256 only, with node:crypto
 * directly: verification runs on every API request, and node-jose's promise-based verify
 * (≈ 2,800/s) would cost more than the request itself.
 *
 * Measured (test/bench/jose-throughput.ts, Xeon 2.8 GHz, Node 20, one core):
 *   sign 22,893/s; verify of a token not seen before 10,728/s; of one seen before ≈ 5.9 M/s.
 * `openssl speed ecdsap256` gives 14,100 verify/s on the same core, so a first-time verify
 * cannot beat that; the verifier therefore remembers tokens it has already verified (by
 * their exact string) and re-checks only the clock for them.
 */

/** Registered claims (RFC 7519 §4.1) plus whatever the issuer put in. */
export interface JwtClaims {
  iss: string;
  exp: number;
  iat?: number;
  nbf?: number;
  sub?: string;
  aud?: string | string[];
  jti?: string;
  [claim: string]: unknown;
}

export interface SignJwtOptions {
  expiresInSeconds: number;
  issuer: string;
  audience?: string | string[];
  /** RFC 7519 §5.1 / RFC 9068 §2.1: `JWT` by default; `at+jwt` for access tokens. */
  typ?: string;
  /** Adds a random `jti` (RFC 7519 §4.1.7), e.g. for client assertions (RFC 7523 §3). */
  jti?: boolean;
}

/**
 * Signs a JWT with an ES256 key. `iss`, `iat`, `exp` (and `aud` when given) come from the
 * options and override the same names in `claims`.
 *
 * @example
 * ```ts
 * const accessToken = signJwt({ sub: client.id, scope: 'tokens:write' }, { keySet: tspKeys, kid }, {
 *   issuer: 'https://tsp.example', audience: 'opentsp', expiresInSeconds: 900, typ: 'at+jwt',
 * });
 * ```
 * @throws CryptoError `key_not_found`, `unsupported_algorithm` (not an ES256 key), `key_invalid`.
 */
export function signJwt(claims: Record<string, unknown>, signingKey: SigningKey, options: SignJwtOptions): string {
  const key = signingKey instanceof Key ? signingKey : signingKey.keySet.get(signingKey.kid);
  if (key.alg !== 'ES256' || key.kty !== 'EC') throw new CryptoError('unsupported_algorithm', `key ${key.kid} is not an ES256 key`);
  const iat = nowSeconds();
  const body: Record<string, unknown> = { ...claims, iss: options.issuer, iat, exp: iat + options.expiresInSeconds };
  if (options.audience !== undefined) body.aud = options.audience;
  if (options.jti) body.jti = b64uEncode(randomBytes(16));
  const header = { alg: 'ES256', typ: options.typ ?? 'JWT', kid: key.kid };
  const signingInput = `${b64uEncode(JSON.stringify(header))}.${b64uEncode(JSON.stringify(body))}`;
  // RFC 7518 §3.4: the signature is R ‖ S (64 bytes), not DER.
  const signature = ecSign('sha256', Buffer.from(signingInput, 'ascii'), { key: privateKeyObjectOf(key), dsaEncoding: 'ieee-p1363' });
  return `${signingInput}.${b64uEncode(signature)}`;
}

export interface JwtVerifierOptions {
  /** The issuer's public JWKS; ES256 / P-256 keys with a `kid` are used, others ignored. */
  publicJwks: Jwks;
  issuer: string;
  /** When set, `aud` must be (or contain) this value. */
  audience?: string;
  /**
   * When set, the header `typ` must be this (RFC 8725 §3.11 explicit typing): give access
   * tokens `typ: 'at+jwt'` (RFC 9068 §2.1) on both sides so no other JWS signed by the same
   * key (a push receipt, a client assertion) can pass as an access token.
   */
  typ?: string;
  /** Allowed clock skew for `exp`, `nbf` and `iat`. */
  clockToleranceSeconds: number;
  /** Tokens remembered after a full verify (default 10,000; 0 turns it off). */
  cacheSize?: number;
}

export interface JwtVerifier {
  /**
   * Verifies synchronously and returns the claims (frozen: the same object may be handed to
   * every request that presents the same token).
   * @throws CryptoError `jwt_expired` (signature good, `exp` passed), `jwt_invalid`.
   */
  verify(token: string): Readonly<JwtClaims>;
  /** Replaces the keys (after rotation); forgets every remembered token. */
  setKeys(publicJwks: Jwks): void;
}

/**
 * A synchronous verifier for ES256 JWTs: checks `alg`, `kid`, `typ` (when configured),
 * signature, `exp` (required), `nbf`, `iat`, `iss` and `aud`. Public keys become KeyObjects once per `kid`.
 *
 * @example
 * ```ts
 * const verifier = createJwtVerifier({
 *   publicJwks: tspKeys.toPublicJwks(), issuer, audience: 'opentsp', typ: 'at+jwt', clockToleranceSeconds: 30,
 * });
 * const claims = verifier.verify(bearerToken); // throws CryptoError jwt_invalid / jwt_expired
 * ```
 */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const tolerance = options.clockToleranceSeconds;
  const cacheSize = options.cacheSize ?? 10_000;
  let keys = importKeys(options.publicJwks);
  // Remembered tokens, oldest first (Map keeps insertion order).
  const verified = new Map<string, Readonly<JwtClaims>>();

  function checkClock(claims: Readonly<JwtClaims>, now: number): void {
    if (now - tolerance >= claims.exp) throw new CryptoError('jwt_expired', 'token expired');
  }

  return {
    verify(token) {
      const now = nowSeconds();
      const known = verified.get(token);
      if (known) {
        if (now - tolerance >= known.exp) verified.delete(token);
        checkClock(known, now);
        return known;
      }
      const claims = verifyFully(token, keys, options, now);
      checkClock(claims, now);
      if (cacheSize > 0) {
        if (verified.size >= cacheSize) verified.delete(verified.keys().next().value as string);
        verified.set(token, claims);
      }
      return claims;
    },
    setKeys(publicJwks) {
      keys = importKeys(publicJwks);
      verified.clear();
    },
  };
}

function importKeys(jwks: Jwks): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const jwk of Array.isArray(jwks?.keys) ? jwks.keys : []) {
    if (!isPlainObject(jwk) || typeof jwk.kid !== 'string' || jwk.kty !== 'EC' || jwk.crv !== 'P-256') continue;
    if ((jwk.alg !== undefined && jwk.alg !== 'ES256') || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
    keys.set(jwk.kid, publicKeyFromJwk(jwk as Jwk));
  }
  return keys;
}

// RFC 7515 §4.1.9: `typ` compares case-insensitively and may omit "application/".
function sameMediaType(actual: unknown, expected: string): boolean {
  const normal = (type: string) => type.toLowerCase().replace(/^application\//, '');
  return typeof actual === 'string' && normal(actual) === normal(expected);
}

function invalid(): CryptoError {
  return new CryptoError('jwt_invalid', 'token is not valid');
}

/** Everything but `exp`, which is checked by the caller so cached tokens share the code. */
function verifyFully(token: string, keys: Map<string, KeyObject>, options: JwtVerifierOptions, now: number): Readonly<JwtClaims> {
  const parts = typeof token === 'string' ? token.split('.') : [];
  if (parts.length !== 3) throw invalid();
  const [encodedHeader, encodedClaims, encodedSignature] = parts as [string, string, string];
  const header = decodeJsonObject(encodedHeader);
  if (!header || header.alg !== 'ES256' || header.crit !== undefined || typeof header.kid !== 'string') throw invalid();
  if (options.typ !== undefined && !sameMediaType(header.typ, options.typ)) throw invalid();
  const key = keys.get(header.kid);
  const signature = b64uDecode(encodedSignature);
  if (!key || signature?.length !== 64) throw invalid();
  const signingInput = Buffer.from(`${encodedHeader}.${encodedClaims}`, 'ascii');
  if (!ecVerify('sha256', signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature)) throw invalid();

  const claims = decodeJsonObject(encodedClaims);
  if (!claims || typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) throw invalid();
  const tolerance = options.clockToleranceSeconds;
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > now + tolerance)) throw invalid();
  if (claims.iat !== undefined && (typeof claims.iat !== 'number' || claims.iat > now + tolerance)) throw invalid();
  if (claims.iss !== options.issuer) throw invalid();
  if (options.audience !== undefined) {
    const aud = claims.aud;
    const ok = typeof aud === 'string' ? aud === options.audience : Array.isArray(aud) && aud.includes(options.audience);
    if (!ok) throw invalid();
  }
  if (Array.isArray(claims.aud)) Object.freeze(claims.aud);
  return Object.freeze(claims as JwtClaims);
}
