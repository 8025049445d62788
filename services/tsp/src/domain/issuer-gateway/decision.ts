import type { components } from '@opentsp/api-types';
import type { Issuer } from '../identity/records';
import { IssuerCallError, signedPost, type SignedPostOptions } from './signed-post';

export type TokenActivationRequest = components['schemas']['TokenActivationRequest'];
type VerificationMethod = components['schemas']['VerificationMethod'];

export interface IssuerDecision {
  decision: 'approve' | 'step_up' | 'decline';
  reasonCode?: string;
  idvMethods?: VerificationMethod[];
  /** `issuer` when the issuer answered; `stand_in` when its configured stand-in applied. */
  source: 'issuer' | 'stand_in';
  /** With `stand_in`: why the issuer's answer was not used. */
  failure?: IssuerCallError['reason'] | 'no_decision_url';
}

/**
 * ID&V methods offered when the issuer's stand-in decision is step-up: the issuer did not
 * answer, so no masked destination is known; the OTP still goes to the issuer's delivery
 * endpoint, which knows the cardholder's contact details by `cardRef`.
 */
export const STAND_IN_IDV_METHODS: readonly VerificationMethod[] = Object.freeze([
  { id: 'standin_sms', type: 'sms', maskedDestination: 'Phone number registered with your bank' },
]);

const METHOD_TYPES = new Set(['sms', 'email', 'issuer_app', 'call_center']);

/**
 * Asks the issuer's decision endpoint (contract webhook `issuer.tokenActivationRequest`).
 * A timeout, a network error, a non-2xx answer or a body that is not a
 * `TokenActivationResponse` makes the issuer's `standInDecision` apply (EMVCo TF §6.2:
 * stand-in processing when the issuer is unavailable); the caller records which one it was.
 */
export async function requestDecision(
  issuer: Issuer,
  request: TokenActivationRequest,
  options: SignedPostOptions,
): Promise<IssuerDecision> {
  if (!issuer.decisionUrl) return standIn(issuer, 'no_decision_url');
  try {
    const { status, body } = await signedPost(issuer.decisionUrl, request, options);
    if (status < 200 || status > 299) throw new IssuerCallError('http_status', `decision endpoint answered ${status}`);
    const parsed = parseDecision(body);
    if (!parsed) throw new IssuerCallError('invalid_response', 'decision does not match TokenActivationResponse');
    return { ...parsed, source: 'issuer' };
  } catch (err) {
    if (err instanceof IssuerCallError) return standIn(issuer, err.reason);
    throw err;
  }
}

function standIn(issuer: Issuer, failure: NonNullable<IssuerDecision['failure']>): IssuerDecision {
  const decision = issuer.standInDecision;
  return {
    decision,
    reasonCode: 'issuer_unavailable',
    source: 'stand_in',
    failure,
    ...(decision === 'step_up' ? { idvMethods: [...STAND_IN_IDV_METHODS] } : {}),
  };
}

/** A `TokenActivationResponse`, checked by hand (the issuer is outside our trust boundary). */
export function parseDecision(body: unknown): Omit<IssuerDecision, 'source'> | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  const reasonCode = typeof b.reasonCode === 'string' && /^[a-z][a-z0-9_]{0,63}$/.test(b.reasonCode) ? b.reasonCode : undefined;
  if (b.decision === 'approve' || b.decision === 'decline') return { decision: b.decision, ...(reasonCode ? { reasonCode } : {}) };
  if (b.decision !== 'step_up' || !Array.isArray(b.idvMethods) || b.idvMethods.length < 1 || b.idvMethods.length > 10) return undefined;
  const methods: VerificationMethod[] = [];
  for (const m of b.idvMethods as Array<Record<string, unknown>>) {
    if (!m || typeof m.id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(m.id) || !METHOD_TYPES.has(m.type as string)) return undefined;
    const masked = typeof m.maskedDestination === 'string' ? m.maskedDestination.slice(0, 128) : undefined;
    methods.push({ id: m.id, type: m.type as VerificationMethod['type'], ...(masked ? { maskedDestination: masked } : {}) });
  }
  return { decision: 'step_up', idvMethods: methods, ...(reasonCode ? { reasonCode } : {}) };
}
