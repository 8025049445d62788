import type { components } from '@opentsp/api-types';
import { FlattenedSign, base64url, decodeProtectedHeader, exportJWK, flattenedVerify, generateKeyPair, importJWK, type JWK } from 'jose';
import { WebhookVerificationError } from './errors';
import type { EcPrivateJwk } from './auth';
import { staticJwks, type Jwks, type VerificationKeys } from './jwks';
import { seconds, utf8, type Clock } from './platform';

export type WebhookEvent = components['schemas']['WebhookEvent'];
/** The header carrying the TSP's signature of a webhook (header names are case-insensitive). */
export const SIGNATURE_HEADER = 'OpenTSP-Signature';
/** Receivers reject a signature whose `iat` is further than this from their clock (contract: 5 minutes). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Request headers as Fetch `Headers`, or a plain object (Node's `req.headers`, Express, Lambda). */
export type HeaderBag = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** The TSP's keys: `wallet.jwks` (a live, cached JWKS), or a fixed JWKS in tests. */
  keys: VerificationKeys | Jwks;
  /** Largest allowed distance between the signature's `iat` and now (default 300 s). */
  toleranceSeconds?: number;
  clock?: Clock;
}

/**
 * Verifies a webhook from the TSP and returns its event. `OpenTSP-Signature` is a compact JWS
 * with detached payload (RFC 7515 Appendix F): ES256 over the **exact bytes** of the body, with
 * `kid` (a TSP `sig` key from the JWKS) and `iat` in the protected header. Pass the raw body
 * as received: a parsed-and-re-serialized object has other bytes and cannot be verified.
 *
 * @example
 * ```ts
 * app.post('/opentsp/webhooks', express.raw({ type: 'application/json' }), async (req, res) => {
 *   const event = await verifyWebhook(req.body, req.headers, { keys: wallet.jwks });
 *   res.sendStatus(204);
 * });
 * ```
 * @throws WebhookVerificationError `webhook_body_not_raw`, `webhook_signature_invalid`,
 * `webhook_key_unknown`, `webhook_timestamp_out_of_range`.
 */
export async function verifyWebhook(rawBody: string | Uint8Array, headers: HeaderBag, options: VerifyWebhookOptions): Promise<WebhookEvent> {
  if (typeof rawBody !== 'string' && !(rawBody instanceof Uint8Array)) {
    throw failure(
      'webhook_body_not_raw',
      'verifyWebhook needs the raw request body (a string or Buffer exactly as received, e.g. from express.raw()); ' +
        'a parsed object cannot be verified because re-serializing it changes the signed bytes.',
    );
  }
  const signature = headerValue(headers, SIGNATURE_HEADER);
  const parts = signature && /^([A-Za-z0-9_-]+)\.\.([A-Za-z0-9_-]+)$/.exec(signature.trim());
  if (!parts) throw failure('webhook_signature_invalid', `${SIGNATURE_HEADER} is missing or not a detached compact JWS.`);
  const [, protectedHeader, sig] = parts as unknown as [string, string, string];

  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(`${protectedHeader}..${sig}`);
  } catch {
    throw failure('webhook_signature_invalid', `${SIGNATURE_HEADER} has an unreadable header.`);
  }
  // Only ES256; no `crit`/`b64` extensions (RFC 7797 unencoded payloads are not used here).
  if (header.alg !== 'ES256' || typeof header.kid !== 'string' || header.crit !== undefined || header.b64 !== undefined) {
    throw failure('webhook_signature_invalid', `${SIGNATURE_HEADER} must be ES256 with a kid.`);
  }
  const keys = 'verificationKey' in options.keys ? options.keys : staticJwks(options.keys);
  const key = await keys.verificationKey(header.kid);
  if (!key) throw failure('webhook_key_unknown', `No TSP signing key with kid "${header.kid}".`);

  const bytes = typeof rawBody === 'string' ? utf8(rawBody) : rawBody;
  try {
    await flattenedVerify({ protected: protectedHeader, payload: base64url.encode(bytes), signature: sig }, key, { algorithms: ['ES256'] });
  } catch {
    throw failure('webhook_signature_invalid', 'The signature does not match the body.');
  }
  const iat = header.iat;
  const now = seconds((options.clock ?? Date.now)());
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (typeof iat !== 'number' || Math.abs(now - iat) > tolerance) {
    throw failure('webhook_timestamp_out_of_range', `The signature's iat is more than ${tolerance} s from this clock (replay or clock skew).`);
  }

  let event: unknown;
  try {
    event = JSON.parse(typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody));
  } catch {
    throw failure('webhook_signature_invalid', 'The signed body is not JSON.');
  }
  const e = event as Partial<WebhookEvent> | null;
  if (!e || typeof e.id !== 'string' || typeof e.type !== 'string' || typeof e.data !== 'object') {
    throw failure('webhook_signature_invalid', 'The signed body is not a webhook event.');
  }
  return event as WebhookEvent;
}

type Expiry = components['schemas']['Expiry'];

/**
 * The token expiry change a `token.updated` event announces (card reissue, or the TSP's
 * renewal of a token nearing its expiry), or `undefined` when the token expiry did not change.
 * Store `current` and use it from now on; the TSP still accepts `previous` at detokenization
 * for a grace window.
 *
 * @example
 * ```ts
 * const event = await wallet.verifyWebhook(rawBody, req.headers);
 * const change = tokenExpiryChange(event);
 * if (change) await cards.setExpiry(event.data.token.tokenRef, change.current);
 * ```
 */
export function tokenExpiryChange(event: WebhookEvent): { previous: Expiry; current: Expiry } | undefined {
  const { previousTokenExpiry, tokenExpiry } = event.data;
  if (event.type !== 'token.updated' || !previousTokenExpiry || !tokenExpiry) return undefined;
  return { previous: previousTokenExpiry, current: tokenExpiry };
}

/** What `signTestWebhook` gives: the body to send and the headers to send it with. */
export interface SignedTestWebhook {
  body: string;
  signature: string;
  headers: { 'content-type': 'application/json'; 'opentsp-signature': string };
}

/**
 * Signs an event the way the TSP does, for integrators' tests of their webhook endpoint.
 * Pair it with {@link generateTestWebhookKey} and verify with its `jwks`.
 *
 * @example
 * ```ts
 * const testKey = await generateTestWebhookKey();
 * const { body, headers } = await signTestWebhook(event, testKey.privateJwk);
 * await request(app).post('/opentsp/webhooks').set(headers).send(body).expect(204);
 * // in the app under test: verifyWebhook(raw, headers, { keys: testKey.jwks })
 * ```
 */
export async function signTestWebhook(
  event: WebhookEvent,
  privateJwk: EcPrivateJwk,
  options: { kid?: string; iat?: number; clock?: Clock } = {},
): Promise<SignedTestWebhook> {
  const kid = options.kid ?? privateJwk.kid;
  if (!kid) throw new TypeError('signTestWebhook needs a kid (on the JWK or in options)');
  const body = JSON.stringify(event);
  const key = await importJWK(privateJwk as JWK, 'ES256');
  const iat = options.iat ?? seconds((options.clock ?? Date.now)());
  const jws = await new FlattenedSign(utf8(body)).setProtectedHeader({ alg: 'ES256', kid, iat }).sign(key);
  const signature = `${jws.protected as string}..${jws.signature}`;
  return { body, signature, headers: { 'content-type': 'application/json', 'opentsp-signature': signature } };
}

/**
 * A fresh ES256 key pair for webhook tests: `privateJwk` for {@link signTestWebhook}, `jwks`
 * for {@link verifyWebhook}.
 *
 * @example
 * ```ts
 * const { privateJwk, jwks } = await generateTestWebhookKey('test-sig-1');
 * ```
 */
export async function generateTestWebhookKey(kid = 'opentsp-test-webhook'): Promise<{ privateJwk: EcPrivateJwk; jwks: Jwks }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const pub = await exportJWK(publicKey);
  const priv = await exportJWK(privateKey);
  const common = { kid, alg: 'ES256' as const };
  return {
    privateJwk: { ...(priv as EcPrivateJwk), ...common },
    jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: pub.x as string, y: pub.y as string, use: 'sig', ...common }] },
  };
}

function headerValue(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as Headers)?.get === 'function') return (headers as Headers).get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

function failure(code: WebhookVerificationError['code'], detail: string): WebhookVerificationError {
  return new WebhookVerificationError({ code, detail });
}
