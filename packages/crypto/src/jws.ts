import { sign as ecSign, verify as ecVerify, type KeyObject } from 'node:crypto';
import { CryptoError } from './errors';
import { MAX_FUTURE_SKEW_SECONDS, b64uDecode, b64uEncode, decodeJsonObject, isPlainObject, nowSeconds, payloadBytes } from './encoding';
import { Key, privateKeyObjectOf, publicKeyFromJwk, publicKeyObjectOf, type Jwk, type Jwks } from './key';
import { KeySet } from './jwk';

/*
 * Compact JWS with ES256 (RFC 7515, RFC 7518 §3.4) on node:crypto (OpenSSL), with the
 * signature as R ‖ S (`ieee-p1363`), as in jwt.ts. Why not node-jose: its sign ran at
 * ≈ 1,600/s and verify ≈ 2,800/s on one core (test/bench/jose-throughput.ts), and every
 * provisioning signs its call to the issuer (OpenTSP-Signature); node:crypto signs at
 * ≈ 20,000/s+ (same bench). Interop with panva `jose` both ways: test/jws.test.ts.
 */

/** The protected header of a JWS this package produced or accepted. */
export interface JwsHeader {
  alg: 'ES256';
  kid: string;
  iat?: number;
  typ?: string;
  [member: string]: unknown;
}

/** A signing key: a {@link Key}, or a `kid` to take from a {@link KeySet}. */
export type SigningKey = Key | { keySet: KeySet; kid: string };

export interface SignOptions {
  /** RFC 7515 Appendix F: leave the payload out (`header..signature`); the receiver supplies it. */
  detached?: boolean;
  /** Media type of the whole JWS (RFC 7515 §4.1.9), e.g. `'opentsp-push-receipt+jws'`. */
  typ?: string;
  /** More protected header members; `alg`, `kid`, `iat`, `crit`, `b64`, `jwk`, `x5c` are refused. */
  extraHeaders?: Record<string, unknown>;
}

export interface VerifyOptions {
  /** The payload of a detached JWS (the raw request body for webhook signatures). */
  detachedPayload?: string | Uint8Array;
  /** Require `iat` and reject it when older than this (300 for `OpenTSP-Signature`). */
  maxAgeSeconds?: number;
  /** Accepted algorithms; only `ES256` exists here, `none` never passes. */
  algorithms?: readonly 'ES256'[];
}

export interface VerifyResult {
  payload: Buffer;
  header: JwsHeader;
}

const RESERVED = new Set(['alg', 'kid', 'iat', 'crit', 'b64', 'jwk', 'jku', 'x5c', 'x5u']);

/**
 * Signs with ES256 as a compact JWS whose protected header carries `alg`, `kid`, `iat`
 * (seconds) and `typ` when given.
 *
 * @example
 * ```ts
 * // OpenTSP-Signature: a detached JWS over the exact bytes of the webhook body
 * const signature = await signCompact(rawBody, { keySet: tspKeys, kid: 'sig-2025-01' }, { detached: true });
 * ```
 * @throws CryptoError `key_not_found`, `unsupported_algorithm` (not an ES256 key),
 * `key_invalid` (no private part).
 */
export async function signCompact(
  payload: string | Uint8Array | object,
  signingKey: SigningKey,
  options: SignOptions = {},
): Promise<string> {
  const key = signingKey instanceof Key ? signingKey : signingKey.keySet.get(signingKey.kid);
  if (key.alg !== 'ES256' || key.kty !== 'EC') throw new CryptoError('unsupported_algorithm', `key ${key.kid} is not an ES256 key`);
  for (const name of Object.keys(options.extraHeaders ?? {})) {
    if (RESERVED.has(name)) throw new TypeError(`extraHeaders may not set "${name}"`);
  }
  const fields: Record<string, unknown> = { ...options.extraHeaders, alg: 'ES256', kid: key.kid, iat: nowSeconds() };
  if (options.typ !== undefined) fields.typ = options.typ;

  const header = b64uEncode(JSON.stringify(fields));
  const body = b64uEncode(payloadBytes(payload));
  let signature: Buffer;
  try {
    signature = ecSign('sha256', Buffer.from(`${header}.${body}`, 'ascii'), { key: privateKeyObjectOf(key), dsaEncoding: 'ieee-p1363' });
  } catch {
    throw new CryptoError('key_invalid', `key ${key.kid} cannot sign`);
  }
  return `${header}.${options.detached ? '' : body}.${b64uEncode(signature)}`;
}

/**
 * Verifies a compact ES256 JWS against a key set or a public JWKS, choosing the key by the
 * header's `kid`. `alg: none`, algorithms outside `options.algorithms`, `crit`/`b64`
 * extensions, a detached JWS without `detachedPayload` (or the reverse), an `iat` more than
 * 5 minutes ahead, and with `maxAgeSeconds` a missing or stale `iat` all fail.
 *
 * @example
 * ```ts
 * // a webhook receiver, over the raw body bytes
 * const { header } = await verifyCompact(req.get('OpenTSP-Signature'), tspJwks, {
 *   detachedPayload: rawBody,
 *   maxAgeSeconds: 300,
 * });
 * ```
 * @throws CryptoError `key_not_found` when no key has the `kid` (refresh the JWKS and retry
 * once: the TSP may have rotated), `jws_invalid` for everything else.
 */
export async function verifyCompact(jws: string, keys: KeySet | Jwks, options: VerifyOptions = {}): Promise<VerifyResult> {
  const parts = typeof jws === 'string' ? jws.split('.') : [];
  if (parts.length !== 3) throw jwsInvalid();
  const [encodedHeader, encodedPayload, signature] = parts as [string, string, string];
  const header = decodeJsonObject(encodedHeader);
  if (!header || !acceptableHeader(header, options)) throw jwsInvalid();

  const detached = encodedPayload === '';
  if (detached !== (options.detachedPayload !== undefined)) throw jwsInvalid();
  const payload = detached ? payloadBytes(options.detachedPayload as string | Uint8Array) : b64uDecode(encodedPayload);
  const signatureBytes = b64uDecode(signature);
  if (!payload || signatureBytes?.length !== 64) throw jwsInvalid();

  const key = verificationKey(keys, header.kid as string);
  const signingInput = `${encodedHeader}.${detached ? b64uEncode(payload) : encodedPayload}`;
  let valid = false;
  try {
    valid = ecVerify('sha256', Buffer.from(signingInput, 'ascii'), { key, dsaEncoding: 'ieee-p1363' }, signatureBytes);
  } catch {
    valid = false;
  }
  if (!valid) throw jwsInvalid();
  return { payload: Buffer.from(payload), header: header as JwsHeader };
}

function jwsInvalid(): CryptoError {
  return new CryptoError('jws_invalid', 'signature cannot be verified');
}

function acceptableHeader(header: Record<string, unknown>, options: VerifyOptions): boolean {
  const allowed: readonly string[] = options.algorithms ?? ['ES256'];
  if (header.alg !== 'ES256' || !allowed.includes('ES256')) return false;
  if (header.crit !== undefined || header.b64 !== undefined || typeof header.kid !== 'string') return false;
  const { iat } = header;
  if (iat === undefined) return options.maxAgeSeconds === undefined;
  if (!Number.isSafeInteger(iat)) return false;
  const now = nowSeconds();
  if ((iat as number) > now + MAX_FUTURE_SKEW_SECONDS) return false;
  return options.maxAgeSeconds === undefined || now - (iat as number) <= options.maxAgeSeconds;
}

/** The public key for `kid`: from a KeySet, or a plain JWKS member (imported once per JWK object, key.ts). */
function verificationKey(keys: KeySet | Jwks, kid: string): KeyObject {
  if (keys instanceof KeySet) {
    const key = keys.find(kid);
    if (!key) throw new CryptoError('key_not_found', 'no key with this kid');
    if (key.alg !== 'ES256' || key.kty !== 'EC') throw jwsInvalid();
    return publicKeyObjectOf(key);
  }
  const jwk = Array.isArray(keys?.keys) ? keys.keys.find((k) => isPlainObject(k) && k.kid === kid) : undefined;
  if (!jwk) throw new CryptoError('key_not_found', 'no key with this kid');
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || (jwk.alg !== undefined && jwk.alg !== 'ES256') || (jwk.use !== undefined && jwk.use !== 'sig')) {
    throw jwsInvalid();
  }
  try {
    return publicKeyFromJwk(jwk as Jwk);
  } catch {
    throw jwsInvalid();
  }
}
