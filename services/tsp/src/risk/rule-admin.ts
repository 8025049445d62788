import type { AuditLog } from '../audit/audit-log';
import type { AuditActor } from '../store/audit-entries.table';
import { NotFoundError } from '../errors';
import { decodeListCursor, pageOf } from '../store/pagination';
import { riskRulesRepository, type StoredRiskRule } from '../store/risk-rules.repository';
import type { Executor, UnitOfWork } from '../store/transaction';
import { newId } from './ids';
import type { RuleBook } from './rule-book';
import { toRuleDocument } from './rule-book';
import type { RiskRuleDocument } from './rule-set';
import { assertValidRule, type RiskRuleInput } from './rule-validation';
import type { RiskEvaluationPoint } from './signals';

/** Who publishes: the admin client (or the system, for the defaults) and the request id. */
export interface PublishContext {
  actor: AuditActor;
  /** `createdBy` of the version: the admin client id. */
  createdBy: string;
  requestId?: string;
}

export interface RulePage {
  data: RiskRuleDocument[];
  nextCursor: string | null;
}

/**
 * Publishes a rule version in `tx`: the current row, the history row, the rule-set version
 * bump (with its NOTIFY) and the `risk_rule.publish` audit entry commit together.
 */
export async function publishRule(
  tx: Executor,
  audit: AuditLog,
  rule: StoredRiskRule,
  context: PublishContext,
  change: 'create' | 'update' | 'disable' | 'seed',
): Promise<number> {
  await riskRulesRepository.publish(tx, rule);
  const ruleSetVersion = await riskRulesRepository.bumpRuleSetVersion(tx, rule.createdAt);
  await audit.append(tx, {
    actor: context.actor,
    action: 'risk_rule.publish',
    subject: { type: 'risk_rule', id: rule.ruleId },
    outcome: 'success',
    details: {
      change,
      version: rule.version,
      ruleSetVersion,
      enabled: rule.enabled,
      outcome: rule.outcome,
      reasonCode: rule.reasonCode,
      appliesTo: rule.appliesTo,
    },
    ...(context.requestId ? { requestId: context.requestId } : {}),
  });
  return ruleSetVersion;
}

function fromInput(input: RiskRuleInput, ruleId: string, version: number, context: PublishContext, now: Date): StoredRiskRule {
  return {
    ruleId,
    version,
    name: input.name,
    description: input.description ?? null,
    enabled: input.enabled,
    priority: input.priority,
    appliesTo: [...input.appliesTo],
    conditions: input.conditions as Record<string, unknown>,
    outcome: input.outcome,
    reasonCode: input.reasonCode,
    createdAt: now,
    createdBy: context.createdBy,
  };
}

/** The admin operations on rules (`/v1/admin/risk/rules…`). */
export function ruleAdmin(uow: UnitOfWork, audit: AuditLog, book: RuleBook) {
  const afterPublish = async <T>(result: T): Promise<T> => {
    // This process sees its own change at once; the others on NOTIFY or the next poll.
    await book.refresh();
    return result;
  };
  const mustGet = async (executor: Executor, ruleId: string, forUpdate = false): Promise<StoredRiskRule> => {
    const rule = await riskRulesRepository.get(executor, ruleId, { forUpdate });
    if (!rule) throw new NotFoundError('rule_not_found', `No risk rule ${ruleId}.`);
    return rule;
  };

  return {
    /** Creates version 1 of a new rule. @throws ValidationError `rule_invalid` */
    async create(input: RiskRuleInput, context: PublishContext): Promise<RiskRuleDocument> {
      assertValidRule(input);
      const rule = fromInput(input, newId('rule'), 1, context, new Date());
      await uow.transaction((tx) => publishRule(tx, audit, rule, context, 'create'));
      return afterPublish(toRuleDocument(rule));
    },

    /** Publishes the next version of a rule. @throws `rule_not_found`, `rule_invalid` */
    async update(ruleId: string, input: RiskRuleInput, context: PublishContext): Promise<RiskRuleDocument> {
      assertValidRule(input);
      const rule = await uow.transaction(async (tx) => {
        const current = await mustGet(tx, ruleId, true);
        const next = fromInput(input, ruleId, current.version + 1, context, new Date());
        await publishRule(tx, audit, next, context, 'update');
        return next;
      });
      return afterPublish(toRuleDocument(rule));
    },

    /** Publishes a disabled version; a disabled rule stays as it is. @throws `rule_not_found` */
    async disable(ruleId: string, context: PublishContext): Promise<RiskRuleDocument> {
      const rule = await uow.transaction(async (tx) => {
        const current = await mustGet(tx, ruleId, true);
        if (!current.enabled) return current;
        const next: StoredRiskRule = { ...current, version: current.version + 1, enabled: false, createdAt: new Date(), createdBy: context.createdBy };
        await publishRule(tx, audit, next, context, 'disable');
        return next;
      });
      return afterPublish(toRuleDocument(rule));
    },

    async get(ruleId: string): Promise<RiskRuleDocument> {
      return toRuleDocument(await mustGet(uow.executor, ruleId));
    },

    async list(filter: { appliesTo?: RiskEvaluationPoint; enabled?: boolean }, page: { limit: number; cursor?: string }): Promise<RulePage> {
      const list = `rules:${filter.appliesTo ?? '*'}:${filter.enabled ?? '*'}`;
      const after = decodeListCursor(list, page.cursor, { p: 'integer', i: 'string' });
      const rows = await riskRulesRepository.list(uow.executor, filter, {
        limit: page.limit + 1,
        ...(after ? { after: { priority: after.p, ruleId: after.i } } : {}),
      });
      return pageOf(rows, page.limit, toRuleDocument, list, (rule) => ({ p: rule.priority, i: rule.ruleId }));
    },

    async versions(ruleId: string, page: { limit: number; cursor?: string }): Promise<RulePage> {
      const list = `versions:${ruleId}`;
      const before = decodeListCursor(list, page.cursor, { v: 'integer' });
      const rows = await riskRulesRepository.versions(uow.executor, ruleId, { limit: page.limit + 1, ...(before ? { beforeVersion: before.v } : {}) });
      if (rows.length === 0 && !before) await mustGet(uow.executor, ruleId);
      return pageOf(rows, page.limit, toRuleDocument, list, (rule) => ({ v: rule.version }));
    },
  };
}

export type RuleAdmin = ReturnType<typeof ruleAdmin>;
