import { riskDecisionsRepository, type DecisionSideEffects, type NewRiskDecision } from '../store/risk-decisions.repository';
import { riskVelocityRepository } from '../store/risk-velocity.repository';
import type { Executor } from '../store/transaction';
import { buildFacts, flattenFacts, type RiskLookup } from './facts';
import { newId } from './ids';
import type { RuleBook } from './rule-book';
import { combineOutcome, type FiredRule, type RiskOutcome } from './rule-set';
import type { RiskEvaluationPoint, RiskSignalsInput, RiskSubject } from './signals';
import { accountKeyOf, cardKeyOf, cardVerificationKeys, DETOKENIZATION_TOKEN_KEY_PREFIX, otpKeys, velocityPlan } from './velocity-keys';

export interface RiskDecisionRequest {
  kind: RiskEvaluationPoint;
  subject: RiskSubject;
  signals: RiskSignalsInput;
}

/** The engine's answer, recorded as `decisionId` (see `GET /v1/admin/risk/decisions/{id}`). */
export interface RiskDecision {
  decisionId: string;
  kind: RiskEvaluationPoint;
  outcome: RiskOutcome;
  /** Reason codes of every fired rule (flags included), highest priority first, no duplicates. */
  reasonCodes: string[];
  firedRules: FiredRule[];
  ruleSetVersion: number;
  /** 0 (low) to 100 (high): 10 per flag, 40 per step-up, 80 per decline rule, capped. */
  score: number;
}

/** Events that are not decisions but feed rules. */
export type RiskEvent =
  | { kind: 'otp_failed'; subject: RiskSubject; at?: Date }
  | { kind: 'card_verification_failed'; subject: RiskSubject; at?: Date }
  | { kind: 'card_suspended'; subject: RiskSubject; at?: Date };

export function riskScore(fired: readonly FiredRule[]): number {
  const weight = { flag: 10, step_up: 40, decline: 80 } as const;
  return Math.min(100, fired.reduce((sum, rule) => sum + weight[rule.outcome], 0));
}

/** A decision evaluated but not stored yet: its answer, and the record (with its memory updates) to write. */
export interface EvaluatedDecision {
  decision: RiskDecision;
  record: NewRiskDecision;
  effects: DecisionSideEffects;
}

/**
 * Decides one provisioning, push redemption or detokenization inside the caller's
 * transaction: one statement counts this event and reads every counter and the card / device
 * memory, the rules run in memory, one statement stores the decision (and updates the memory).
 * If `tx` rolls back, the counters and the decision roll back with it.
 */
export async function decide(rules: RuleBook, tx: Executor, request: RiskDecisionRequest, now = new Date()): Promise<RiskDecision> {
  const { kind, subject } = request;
  const signals = request.signals ?? {};
  const plan = velocityPlan(kind, subject, signals);
  const cardKey = cardKeyOf(subject);
  const deviceKey = signals.device?.id ?? null;
  const usesMemory = kind !== 'detokenization' || Boolean(signals.device?.location);
  const lookup = await riskVelocityRepository.lookup(tx, {
    now,
    increment: plan.increment.map((k) => k.key),
    read: plan.read,
    cardKey: usesMemory ? cardKey : null,
    deviceKey: kind === 'detokenization' ? null : deviceKey,
    accountKey: accountKeyOf(subject),
  });
  const evaluated = await evaluate(rules, request, lookup, now);
  await riskDecisionsRepository.insert(tx, evaluated.record, evaluated.effects);
  return evaluated.decision;
}

/**
 * The velocity counter a detokenization counts (one per token), for a caller that counts it in
 * its own statement (payments' detokenize read, DESIGN §8: the hot path's round trips). The key
 * is `keyPrefix` + the token ref the statement reads.
 */
export function detokenizationCounter(now: Date): { keyPrefix: string; now: Date } {
  return { keyPrefix: DETOKENIZATION_TOKEN_KEY_PREFIX, now };
}

/**
 * A detokenization decided on the counts the caller's statement returned (this event already
 * counted, as `decide` counts it): the rules run in memory, and the caller writes `record`
 * (riskDecisionsRepository.decisionCtes) in its own statement of the same transaction. Same
 * facts, rules and record as `decide`; only the round trips differ. A detokenization with a
 * device location (impossible travel reads the card memory) goes through `decide`.
 */
export function evaluateCountedDetokenization(
  rules: RuleBook,
  request: RiskDecisionRequest & { kind: 'detokenization' },
  counts: { h1: number; h24: number },
  now: Date,
): Promise<EvaluatedDecision> {
  if (request.signals?.device?.location) throw new Error('a detokenization with a device location is decided by decide()');
  const tokenRef = request.subject.tokenRef;
  if (!tokenRef) throw new Error('a counted detokenization names its token');
  const lookup: RiskLookup = { velocity: new Map([[`${DETOKENIZATION_TOKEN_KEY_PREFIX}${tokenRef}`, counts]]), card: null, device: null };
  return evaluate(rules, request, lookup, now);
}

/** The rules on the facts of `request` and `lookup`, and the record that stores the decision. */
async function evaluate(rules: RuleBook, request: RiskDecisionRequest, lookup: RiskLookup, now: Date): Promise<EvaluatedDecision> {
  const { kind, subject } = request;
  const signals = request.signals ?? {};
  const cardKey = cardKeyOf(subject);
  const accountKey = accountKeyOf(subject);
  const deviceKey = signals.device?.id ?? null;
  const facts = buildFacts(kind, subject, signals, lookup, now);
  const ruleSet = rules.ruleSet();
  const firedRules = await ruleSet.evaluate(kind, facts);
  const outcome = combineOutcome(firedRules);
  const reasonCodes = [...new Set(firedRules.map((rule) => rule.reasonCode))];
  const score = riskScore(firedRules);
  const decisionId = newId('dec');

  const effects: DecisionSideEffects = {};
  const location = signals.device?.location;
  if (cardKey && location) {
    effects.cardEvent = { cardKey, at: now, lat: location.lat, lon: location.lon, country: location.country?.toUpperCase() ?? null };
  }
  if (kind !== 'detokenization' && outcome !== 'decline' && deviceKey && accountKey && cardKey) {
    effects.deviceLink = { deviceKey, accountKey, cardKey, at: now };
  }
  const record: NewRiskDecision = {
    decisionId,
    kind,
    outcome,
    reasonCodes,
    firedRules,
    ruleSetVersion: ruleSet.version,
    score,
    signals: flattenFacts(facts),
    tokenRef: subject.tokenRef ?? null,
    cardRef: subject.cardRef ?? null,
    clientId: subject.clientId ?? null,
    createdAt: now,
  };
  return { decision: { decisionId, kind, outcome, reasonCodes, firedRules, ruleSetVersion: ruleSet.version, score }, record, effects };
}

/** Counts an event that is not a decision (a failed OTP or card verification, a card suspension) in `tx`. */
export async function recordEvent(tx: Executor, event: RiskEvent): Promise<void> {
  const at = event.at ?? new Date();
  if (event.kind === 'otp_failed') {
    const keys = otpKeys(event.subject);
    await riskVelocityRepository.increment(tx, [keys.account, keys.card].filter((k): k is string => k !== null), at);
    return;
  }
  if (event.kind === 'card_verification_failed') {
    const keys = cardVerificationKeys(event.subject);
    await riskVelocityRepository.increment(tx, [keys.account, keys.card].filter((k): k is string => k !== null), at);
    return;
  }
  const cardKey = cardKeyOf(event.subject);
  if (cardKey) await riskVelocityRepository.recordSuspension(tx, cardKey, at);
}
