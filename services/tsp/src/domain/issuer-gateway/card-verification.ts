import { CryptoError, encryptCompact, type Jwk } from '@opentsp/crypto';
import type { Cvv2, Pan } from '../../vault/secrets';
import type { Issuer } from '../identity/records';
import { STAND_IN_IDV_METHODS, type CardVerificationResult, type IssuerDecision } from './types';

/** The card data the issuer needs to verify it (never the cardholder name). */
export interface IssuerCard {
  pan: Pan;
  expMonth: number;
  expYear: number;
  cvv2?: Cvv2;
}

/**
 * Algorithms for the issuer's card-data key, cheapest to encrypt to first: RSA-OAEP-256 is a
 * public-key operation (≈ 50 µs); ECDH-ES+A256KW generates an ephemeral P-256 key per JWE
 * (docs/benchmarks.md "Card data to the issuer").
 */
const ISSUER_CARD_ALGORITHMS = ['RSA-OAEP-256', 'ECDH-ES+A256KW'] as const;

/** The issuer's registered `enc` key for card data, or undefined when it registered none. */
export function issuerCardKey(issuer: Pick<Issuer, 'jwks'>): Jwk | undefined {
  const keys = (issuer.jwks?.keys ?? []) as unknown as Jwk[];
  for (const alg of ISSUER_CARD_ALGORITHMS) {
    const key = keys.find((k) => k.use === 'enc' && k.alg === alg && typeof k.kid === 'string');
    if (key) return key;
  }
  return undefined;
}

/**
 * `TokenActivationRequest.encryptedCard`: PAN, expiry and CVV2 as a compact JWE to the
 * issuer's `enc` key, as the networks' token activation requests carry them (contract
 * `IssuerEncryptedCard`). The clear values exist only inside this call.
 */
export async function encryptCardForIssuer(card: IssuerCard, key: Jwk): Promise<string | undefined> {
  const plaintext = {
    pan: card.pan.reveal(),
    expMonth: card.expMonth,
    expYear: card.expYear,
    ...(card.cvv2 ? { cvv2: card.cvv2.reveal() } : {}),
  };
  try {
    return await encryptCompact(plaintext, key, { alg: key.alg as (typeof ISSUER_CARD_ALGORITHMS)[number] });
  } catch (err) {
    // A key the admin API accepted but that cannot encrypt: the issuer verifies nothing, so
    // the rules below allow at best a step-up. The error names the key, never the card.
    if (err instanceof CryptoError) return undefined;
    throw err;
  }
}

/** Reads `expiryResult` / `cvv2Result` of an issuer's answer; anything else is `not_checked`. */
export function verificationResult(value: unknown): CardVerificationResult {
  return value === 'match' || value === 'no_match' ? value : 'not_checked';
}

export type VerifiedDecision =
  | { outcome: 'verification_failed'; decision: IssuerDecision }
  | { outcome: 'decided'; decision: IssuerDecision };

/**
 * The TSP's rules on the issuer's card check, applied to whatever decided (issuer or stand-in):
 * - `no_match` on expiry or CVV2 refuses (`card_verification_failed`), whatever the decision;
 * - `approve` needs `cvv2Result: match`: a card number and expiry are printed on the card and
 *   leak with it, the CVV2 is what proves the card is in hand (EMVCo TF §6.2 leaves the ID&V
 *   to the issuer; the networks step up manually entered cards the issuer did not verify).
 *   Without it — no CVV2 sent, an issuer without an `enc` key, a stand-in decision — an
 *   approval becomes a step-up.
 */
export function applyCardVerification(decision: IssuerDecision): VerifiedDecision {
  if (decision.expiryResult === 'no_match' || decision.cvv2Result === 'no_match') {
    return { outcome: 'verification_failed', decision };
  }
  if (decision.decision === 'approve' && decision.cvv2Result !== 'match') {
    return {
      outcome: 'decided',
      decision: {
        ...decision,
        decision: 'step_up',
        reasonCode: decision.source === 'stand_in' ? 'issuer_unavailable' : 'cvv2_not_checked',
        idvMethods: [...STAND_IN_IDV_METHODS],
      },
    };
  }
  return { outcome: 'decided', decision };
}
