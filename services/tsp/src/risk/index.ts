import type { AuditLog } from '../audit/audit-log';
import type { ServiceContext } from '../context';
import { NotFoundError } from '../errors';
import { riskDecisionsRepository } from '../store/risk-decisions.repository';
import type { StoredIssuerDecision } from '../store/risk-decisions.table';
import type { Executor } from '../store/transaction';
import { unitOfWork } from '../store/transaction';
import {
  decide,
  detokenizationCounter,
  evaluateCountedDetokenization,
  recordEvent,
  type EvaluatedDecision,
  type RiskDecision,
  type RiskDecisionRequest,
  type RiskEvent,
} from './decide';
import { dryRunRule, toDecisionView, type DryRunRequest, type DryRunResult, type RiskDecisionView } from './dry-run';
import { RuleBook, type ReloaderOptions } from './rule-book';
import { ruleAdmin, type RuleAdmin } from './rule-admin';
import type { RiskOutcome } from './rule-set';
import { seedDefaultRules } from './seed-default-rules';

export type { EvaluatedDecision, RiskDecision, RiskDecisionRequest, RiskEvent } from './decide';
export type { RiskSignalsInput, RiskSubject, RiskEvaluationPoint } from './signals';
export type { RiskOutcome } from './rule-set';

/**
 * The part of a decision the area that asked acts on (provisioning, push redemption,
 * detokenization): declared once here, so those areas' ports share it.
 */
export interface RiskVerdict {
  decisionId: string;
  outcome: RiskOutcome;
  reasonCodes: string[];
  /** 0 (low) to 100 (high), when the asking area records it. */
  score?: number;
}

/** The engine's assessment as the issuer's decision request carries it (`TokenActivationRequest.risk`). */
export interface IssuerRiskSummary {
  outcome: RiskOutcome;
  score: number;
  reasonCodes: string[];
  decisionId: string;
}

/** What the risk area provides: the engine that decides provisioning, push redemption and detokenization. */
export interface RiskServices {
  /**
   * Decides inside `tx`: counts this event in the velocity counters, evaluates the rules and
   * stores the decision (all rolled back with `tx`).
   *
   * @example
   * const decision = await risk.decide(tx, { kind: 'detokenization', subject: { tokenRef, cardRef, clientId },
   *   signals: { transaction: { amount: 1299, currency: 'CNY', merchantCategoryCode: '5411', channel: 'nfc' } } });
   * if (decision.outcome === 'decline') throw new AccessError('detokenize_declined', '…', { reasonCodes: decision.reasonCodes, decisionId: decision.decisionId });
   */
  decide(tx: Executor, request: RiskDecisionRequest): Promise<RiskDecision>;
  /**
   * Detokenization, the hot path, in the caller's statements (DESIGN §8): the caller's read
   * returns the counts of `detokenizationCounter(now)` (store/detokenize.repository.ts),
   * `evaluateCountedDetokenization` runs the rules on them (this event included), and the
   * caller's write stores `record` and counts the event — only if the counter still holds what
   * the read saw, else it reads and decides again. Same facts, rules and stored decision as
   * `decide`, in two round trips fewer.
   */
  detokenizationCounter(now: Date): { keyPrefix: string; now: Date };
  evaluateCountedDetokenization(
    request: RiskDecisionRequest & { kind: 'detokenization' },
    counts: { h1: number; h24: number },
    now: Date,
  ): Promise<EvaluatedDecision>;
  /** Counts an event that is not a decision: `otp_failed`, `card_suspended`. */
  recordEvent(tx: Executor, event: RiskEvent): Promise<void>;
  /**
   * Records what became of a decision: the final outcome (e.g. combined with the issuer's
   * answer), the issuer's decision and the token it produced. @throws `decision_not_found`
   */
  completeDecision(
    tx: Executor,
    decisionId: string,
    update: { outcome?: RiskOutcome; issuerDecision?: StoredIssuerDecision; tokenRef?: string; cardRef?: string },
  ): Promise<void>;
  /** The `risk` member of the issuer's decision request. */
  issuerSummary(decision: RiskDecision): IssuerRiskSummary;
  /** Admin: rules. */
  readonly rules: RuleAdmin;
  /** Admin: replay recorded decisions with a rule. */
  dryRun(ruleId: string, request?: DryRunRequest): Promise<DryRunResult>;
  /** Admin: one decision. @throws `decision_not_found` */
  getDecision(decisionId: string): Promise<RiskDecisionView>;
  /** The rules this process evaluates now (version and compiled set). */
  readonly ruleBook: RuleBook;
  /** Starts hot reload (LISTEN/NOTIFY + periodic version check) and counter pruning. */
  startReloader(options?: ReloaderOptions): () => Promise<void>;
}

/**
 * Builds the risk engine: seeds the default rules on a database that never had any, loads
 * the current rule set, and exposes the decision and admin operations.
 */
export async function createRiskServices(ctx: ServiceContext, audit: AuditLog): Promise<RiskServices> {
  const uow = unitOfWork(ctx.database.db);
  await seedDefaultRules(uow, audit);
  const book = new RuleBook(ctx.database, ctx.logger);
  await book.refresh(true);
  const count = (d: RiskDecision) => ctx.metrics.riskDecisions.inc({ kind: d.kind, outcome: d.outcome });
  return {
    async decide(tx, request) {
      const decision = await decide(book, tx, request);
      count(decision);
      return decision;
    },
    detokenizationCounter,
    async evaluateCountedDetokenization(request, counts, now) {
      const evaluated = await evaluateCountedDetokenization(book, request, counts, now);
      count(evaluated.decision);
      return evaluated;
    },
    recordEvent,
    async completeDecision(tx, decisionId, update) {
      if (!(await riskDecisionsRepository.complete(tx, decisionId, update))) {
        throw new NotFoundError('decision_not_found', `No risk decision ${decisionId}.`);
      }
    },
    issuerSummary: (decision) => ({
      outcome: decision.outcome,
      score: decision.score,
      reasonCodes: decision.reasonCodes,
      decisionId: decision.decisionId,
    }),
    rules: ruleAdmin(uow, audit, book),
    dryRun: (ruleId, request) => dryRunRule(uow.executor, book, ruleId, request),
    async getDecision(decisionId) {
      const decision = await riskDecisionsRepository.get(uow.executor, decisionId);
      if (!decision) throw new NotFoundError('decision_not_found', `No risk decision ${decisionId}.`);
      return toDecisionView(decision);
    },
    ruleBook: book,
    startReloader: (options) => book.start(options),
  };
}
