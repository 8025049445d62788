import type { components } from '@opentsp/api-types';

type TokenActivationRequest = components['schemas']['TokenActivationRequest'];
type TokenActivationResponse = components['schemas']['TokenActivationResponse'];
type VerificationMethod = components['schemas']['VerificationMethod'];
type CardVerificationResult = components['schemas']['CardVerificationResult'];

/** The bank's check of the card data the TSP sent (card-records.ts). */
export interface CardCheck {
  expiryResult: CardVerificationResult;
  cvv2Result: CardVerificationResult;
}

/**
 * How the simulated bank decides a token activation request. Real banks decide on their own
 * data; the simulator decides on the card's last four digits so tests and demos can pick the
 * path they want by choosing a card number.
 */
export interface DecisionRule {
  /** Tested against `panLast4`. */
  panLast4: RegExp;
  decision: 'approve' | 'step_up' | 'decline';
  reasonCode?: string;
}

/** Defaults: last four starting `000` → decline, `111` → step-up, anything else → approve. */
export const DEFAULT_DECISION_RULES: readonly DecisionRule[] = [
  { panLast4: /^000/, decision: 'decline', reasonCode: 'issuer_declined' },
  { panLast4: /^111/, decision: 'step_up', reasonCode: 'issuer_step_up' },
];

/** The ID&V methods the simulated bank offers on step-up (masked like a real bank would). */
export const DEFAULT_IDV_METHODS: readonly VerificationMethod[] = [
  { id: 'sms-1', type: 'sms', maskedDestination: '+86 *** **** 1234' },
  { id: 'email-1', type: 'email', maskedDestination: 'c******r@example.com' },
];

/**
 * Card data that does not match the bank's record (`no_match` on expiry or CVV2) declines
 * `card_verification_failed`; otherwise the last-four rules decide. The check's results go
 * back with every answer (`expiryResult`, `cvv2Result`; `not_checked` without card data).
 */
export function decide(
  request: TokenActivationRequest,
  rules: readonly DecisionRule[] = DEFAULT_DECISION_RULES,
  idvMethods: readonly VerificationMethod[] = DEFAULT_IDV_METHODS,
  check: CardCheck = { expiryResult: 'not_checked', cvv2Result: 'not_checked' },
): TokenActivationResponse {
  if (check.expiryResult === 'no_match' || check.cvv2Result === 'no_match') {
    return { decision: 'decline', reasonCode: 'card_verification_failed', ...check };
  }
  const rule = rules.find((r) => r.panLast4.test(request.panLast4));
  if (!rule || rule.decision === 'approve') return { decision: 'approve', ...check };
  if (rule.decision === 'decline') return { decision: 'decline', ...(rule.reasonCode ? { reasonCode: rule.reasonCode } : {}), ...check };
  return { decision: 'step_up', idvMethods: [...idvMethods], ...(rule.reasonCode ? { reasonCode: rule.reasonCode } : {}), ...check };
}
