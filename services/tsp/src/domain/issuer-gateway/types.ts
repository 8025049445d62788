import type { components } from '@opentsp/api-types';
import type { IssuerCallError } from './signed-post';

export type CardVerificationResult = components['schemas']['CardVerificationResult'];
type VerificationMethod = components['schemas']['VerificationMethod'];

export interface IssuerDecision {
  decision: 'approve' | 'step_up' | 'decline';
  reasonCode?: string;
  idvMethods?: VerificationMethod[];
  /** `issuer` when the issuer answered; `stand_in` when its configured stand-in applied. */
  source: 'issuer' | 'stand_in';
  /** With `stand_in`: why the issuer's answer was not used. */
  failure?: IssuerCallError['reason'] | 'no_decision_url';
  /** The issuer's check of the expiry and CVV2 it received encrypted; absent: `not_checked`. */
  expiryResult?: CardVerificationResult;
  cvv2Result?: CardVerificationResult;
}

/**
 * ID&V methods offered when the TSP, not the issuer, asks for step-up (the issuer did not
 * answer, or approved without a CVV2 check): no masked destination is known; the OTP still
 * goes to the issuer's delivery endpoint, which knows the cardholder's contact details by
 * `cardRef`.
 */
export const STAND_IN_IDV_METHODS: readonly VerificationMethod[] = Object.freeze([
  { id: 'standin_sms', type: 'sms', maskedDestination: 'Phone number registered with your bank' },
]);
