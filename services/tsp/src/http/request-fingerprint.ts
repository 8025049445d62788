import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { canonicalJson } from '../util/canonical-json';

/**
 * Turns an `encryptedCard` JWE into a keyed digest of the card it carries, or `undefined` when
 * it cannot be decrypted (then the JWE itself is compared, and the operation refuses it anyway).
 */
export type CardDigest = (jwe: string) => Promise<string | undefined>;

/**
 * The Idempotency-Key fingerprint of a request: SHA-256 over method, path and the canonical
 * JSON body — with a top-level `encryptedCard` replaced by a keyed digest of its decrypted
 * plaintext. Why: a JWE is encrypted afresh each time (new content key, IV, ephemeral key,
 * `iat`), so the same card sent again under the same key — an app retrying after a restart —
 * must compare equal, and another card must not (issue 16, the SDK's idempotency promise).
 * The digest is an HMAC under a key derived from the vault's PAN-hash key (vault/fingerprint.ts
 * `cardDigest`): the stored fingerprint holds no card data and cannot be tested against
 * guessed PANs offline.
 */
export async function requestFingerprint(req: Request, cardDigest?: CardDigest): Promise<string> {
  let body: unknown = req.body;
  if (cardDigest && isObject(body) && typeof body.encryptedCard === 'string') {
    const digest = await cardDigest(body.encryptedCard);
    if (digest !== undefined) body = { ...body, encryptedCard: { cardDigest: digest } };
  }
  return createHash('sha256')
    .update(req.method)
    .update('\0')
    .update(req.originalUrl.split('?')[0] ?? '')
    .update('\0')
    .update(canonicalJson(body))
    .digest('hex');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
