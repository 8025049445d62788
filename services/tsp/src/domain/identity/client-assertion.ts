import { createJwtVerifier, CryptoError, KeySet, type Jwks } from '@opentsp/crypto';
import type { Client } from './records';

/**
 * `private_key_jwt` client assertions (RFC 7523 §2.2, §3; OpenID Connect Core §9): an ES256
 * JWT signed with a key of the client's registered JWKS, with `iss` = `sub` = client id,
 * `aud` = the token endpoint URL (or the TSP's issuer URL), a `jti`, and an `exp` at most
 * five minutes ahead. The `jti` single-use check needs the database and is the caller's.
 */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;
const CLOCK_TOLERANCE_SECONDS = 30;
/**
 * How long a used `jti` is kept after the assertion's `exp`: the verifier accepts it until
 * `exp` + the leeway, so the record must outlive that (RFC 7523 §3 item 7: single use), plus a
 * margin for clock differences between TSP processes.
 */
const JTI_RETENTION_AFTER_EXP_SECONDS = CLOCK_TOLERANCE_SECONDS + 60;

export interface VerifiedAssertion {
  jti: string;
  /** When the `jti` may be forgotten: after the last moment the assertion could be accepted. */
  expiresAt: Date;
}

/** Why an assertion was refused; logged and audited, never told to the caller. */
export type AssertionFailure = 'malformed' | 'signature' | 'expired' | 'subject' | 'audience' | 'lifetime' | 'jti';

export class AssertionRejected extends Error {
  override readonly name = 'AssertionRejected';
  constructor(readonly reason: AssertionFailure) {
    super(`client assertion rejected: ${reason}`);
  }
}

function headerKidOf(assertion: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(assertion.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}

/** The unverified `iss` of an assertion: which client it claims to come from (or undefined). */
export function assertionIssuer(assertion: string): string | undefined {
  const parts = assertion.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8')) as { iss?: unknown };
    return typeof claims.iss === 'string' && claims.iss.length <= 64 ? claims.iss : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies an assertion for `client` (whose JWKS must be registered).
 * @throws AssertionRejected with the reason.
 */
export function verifyClientAssertion(assertion: string, client: Client, audiences: readonly string[]): VerifiedAssertion {
  const verifier = createJwtVerifier({
    publicJwks: (client.jwks ?? { keys: [] }) as Jwks,
    issuer: client.clientId,
    clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
    cacheSize: 0,
  });
  let claims;
  try {
    claims = verifier.verify(assertion);
  } catch (err) {
    if (err instanceof CryptoError && err.code === 'jwt_expired') throw new AssertionRejected('expired');
    throw new AssertionRejected('signature');
  }
  if (claims.sub !== client.clientId) throw new AssertionRejected('subject');
  const aud = claims.aud;
  const audOk = typeof aud === 'string' ? audiences.includes(aud) : Array.isArray(aud) && aud.some((a) => audiences.includes(a));
  if (!audOk) throw new AssertionRejected('audience');
  const now = Math.floor(Date.now() / 1000);
  if (claims.exp > now + MAX_ASSERTION_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS) throw new AssertionRejected('lifetime');
  if (typeof claims.jti !== 'string' || claims.jti.length === 0 || claims.jti.length > 200) throw new AssertionRejected('jti');
  return { jti: claims.jti, expiresAt: new Date((claims.exp + JTI_RETENTION_AFTER_EXP_SECONDS) * 1000) };
}

// A key no client holds: unknown clients get an assertion check of the same cost (one ES256
// verify), so the answer time does not tell whether the client id exists.
let dummyJwks: Promise<Jwks> | undefined;

/** Spends about the time of a real verification, then throws `AssertionRejected('signature')`. */
export async function rejectUnknownClientAssertion(assertion: string, clientId: string, audiences: readonly string[]): Promise<never> {
  dummyJwks ??= (async () => {
    const keys = KeySet.create();
    await keys.generate('ES256');
    return keys.toPublicJwks() as Jwks;
  })();
  // Same kid as the assertion, so the verifier gets as far as the ECDSA check.
  const [dummy] = (await dummyJwks).keys;
  const jwks = { keys: [{ ...dummy, kid: headerKidOf(assertion) ?? 'none' }] } as unknown as Client['jwks'];
  verifyClientAssertion(assertion, { clientId, jwks } as Client, audiences);
  throw new AssertionRejected('signature');
}
