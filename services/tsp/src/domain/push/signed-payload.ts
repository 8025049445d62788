import type { components } from '@opentsp/api-types';
import { signCompact, type Key } from '@opentsp/crypto';

export type PushReceiptClaims = components['schemas']['PushReceiptClaims'];

/** `typ` of the signed payload (openapi/tsp.yaml `PushReceiptClaims`; RFC 7515 §4.1.9, RFC 8725 §3.11). */
export const PUSH_RECEIPT_TYP = 'opentsp-push-receipt+jwt';

/**
 * Signs the claims the wallet shows before binding ("Add •••• 1232 from Sandbox Bank?") as a
 * compact ES256 JWS under the TSP's current `sig` key (published in the JWKS), so the wallet
 * SDK can tell that the redirect from the bank app did not alter them. No card number.
 */
export async function signPushReceiptClaims(signingKey: Key, claims: PushReceiptClaims): Promise<string> {
  return signCompact(claims, signingKey, { typ: PUSH_RECEIPT_TYP });
}
