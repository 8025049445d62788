import type { AuditLog } from '../audit/audit-log';
import type { AuditActor } from '../store/audit-entries.table';
import { NotFoundError, ValidationError } from '../errors';
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

function encodeCursor(list: string, position: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ l: list, ...position })).toString('base64url');
}

function decodeCursor<T>(list: string, cursor: string | undefined, check: (value: Record<string, unknown>) => value is Record<string, unknown> & T): T | undefined {
  if (!cursor) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (parsed.l === list && check(parsed)) return parsed;
  } catch {
    // fall through
  }
  throw new ValidationError('cursor_invalid', 'The cursor is malformed or was issued for another list or other filters.');
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
      const after = decodeCursor<{ p: number; i: string }>(list, page.cursor, (v): v is Record<string, unknown> & { p: number; i: string } =>
        Number.isInteger(v.p) && typeof v.i === 'string',
      );
      const rows = await riskRulesRepository.list(uow.executor, filter, {
        limit: page.limit + 1,
        ...(after ? { after: { priority: after.p, ruleId: after.i } } : {}),
      });
      const data = rows.slice(0, page.limit);
      const last = data[data.length - 1];
      return {
        data: data.map(toRuleDocument),
        nextCursor: rows.length > page.limit && last ? encodeCursor(list, { p: last.priority, i: last.ruleId }) : null,
      };
    },

    async versions(ruleId: string, page: { limit: number; cursor?: string }): Promise<RulePage> {
      const list = `versions:${ruleId}`;
      const before = decodeCursor<{ v: number }>(list, page.cursor, (v): v is Record<string, unknown> & { v: number } => Number.isInteger(v.v));
      const rows = await riskRulesRepository.versions(uow.executor, ruleId, { limit: page.limit + 1, ...(before ? { beforeVersion: before.v } : {}) });
      if (rows.length === 0 && !before) await mustGet(uow.executor, ruleId);
      const data = rows.slice(0, page.limit);
      const last = data[data.length - 1];
      return {
        data: data.map(toRuleDocument),
        nextCursor: rows.length > page.limit && last ? encodeCursor(list, { v: last.version }) : null,
      };
    },
  };
}

export type RuleAdmin = ReturnType<typeof ruleAdmin>;
