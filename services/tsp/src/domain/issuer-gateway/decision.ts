import type { components } from '@opentsp/api-types';
import type { Issuer } from '../identity/records';
import { encryptCardForIssuer, issuerCardKey, verificationResult, type IssuerCard } from './card-verification';
import { IssuerCallError, signedPost, type SignedPostOptions } from './signed-post';
import { STAND_IN_IDV_METHODS, type IssuerDecision } from './types';

export type TokenActivationRequest = components['schemas']['TokenActivationRequest'];
type VerificationMethod = components['schemas']['VerificationMethod'];
export { STAND_IN_IDV_METHODS, type IssuerDecision };

const METHOD_TYPES = new Set(['sms', 'email', 'issuer_app', 'call_center']);

/**
 * Asks the issuer's decision endpoint (contract webhook `issuer.tokenActivationRequest`).
 * With `card` and an issuer `enc` key, PAN, expiry and CVV2 go along as `encryptedCard` (a
 * JWE to that key) for the issuer to verify. A timeout, a network error, a non-2xx answer or a
 * body that is not a `TokenActivationResponse` makes the issuer's `standInDecision` apply
 * (EMVCo TF §6.2: stand-in processing when the issuer is unavailable); the caller records
 * which one it was and applies the card-verification rules (card-verification.ts).
 */
export async function requestDecision(
  issuer: Issuer,
  request: TokenActivationRequest,
  options: SignedPostOptions,
  card?: IssuerCard,
): Promise<IssuerDecision> {
  if (!issuer.decisionUrl) return standIn(issuer, 'no_decision_url');
  const key = card ? issuerCardKey(issuer) : undefined;
  const encryptedCard = card && key ? await encryptCardForIssuer(card, key) : undefined;
  const body = encryptedCard ? { ...request, encryptedCard } : request;
  try {
    const { status, body: answer } = await signedPost(issuer.decisionUrl, body, options);
    if (status < 200 || status > 299) throw new IssuerCallError('http_status', `decision endpoint answered ${status}`);
    const parsed = parseDecision(answer);
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
  const results = { expiryResult: verificationResult(b.expiryResult), cvv2Result: verificationResult(b.cvv2Result) };
  if (b.decision === 'approve' || b.decision === 'decline') return { decision: b.decision, ...(reasonCode ? { reasonCode } : {}), ...results };
  if (b.decision !== 'step_up' || !Array.isArray(b.idvMethods) || b.idvMethods.length < 1 || b.idvMethods.length > 10) return undefined;
  const methods: VerificationMethod[] = [];
  for (const m of b.idvMethods as Array<Record<string, unknown>>) {
    if (!m || typeof m.id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(m.id) || !METHOD_TYPES.has(m.type as string)) return undefined;
    const masked = typeof m.maskedDestination === 'string' ? m.maskedDestination.slice(0, 128) : undefined;
    methods.push({ id: m.id, type: m.type as VerificationMethod['type'], ...(masked ? { maskedDestination: masked } : {}) });
  }
  return { decision: 'step_up', idvMethods: methods, ...(reasonCode ? { reasonCode } : {}), ...results };
}
