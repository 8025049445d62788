import { sql, type Expression, type SqlBool } from 'kysely';
import type { AuditActor } from './audit-entries.table';
import type { CursorPosition } from './pagination';
import type { WebhookDeliveryStatus, WebhookRecipientType } from './webhook-deliveries.table';
import type { Executor } from './transaction';

/*
 * The three sources of a token's history (issue 12): audit entries, risk decisions and webhook
 * deliveries. Each reader returns rows in (at, id) order strictly after a position, so the
 * domain can merge them into one page. Times are compared at millisecond precision, the
 * precision of the cursor (a JS date), so a row written with microseconds never repeats or
 * vanishes across pages; ids compare in byte order, as the merge in JS does.
 */

/** Where a page of history starts: after this (time, id), or from the beginning. */
export type HistoryPosition = CursorPosition | undefined;

export interface HistoryAuditRow {
  id: string;
  at: Date;
  actor: AuditActor;
  action: string;
  subjectType: string;
  outcome: 'success' | 'denied' | 'failed';
  details: Record<string, unknown>;
  requestId: string | null;
}

export interface HistoryRiskRow {
  id: string;
  at: Date;
  kind: string;
  outcome: 'approve' | 'step_up' | 'decline';
  reasonCodes: string[];
}

export interface HistoryDeliveryRow {
  id: string;
  at: Date;
  eventId: string;
  eventType: string;
  recipientType: WebhookRecipientType;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastResponseStatus: number | null;
  deliveredAt: Date | null;
}

/** Card-level audit actions that changed the token too (reissue, card deletion). */
const CARD_ACTIONS_ON_TOKENS = ['card.update', 'card.delete'];

/** `date_trunc('milliseconds', column)`: the precision cursors carry. */
function ms(column: string) {
  return sql<Date>`date_trunc('milliseconds', ${sql.ref(column)})`;
}

/** The id in byte order (`collate "C"`), the order the domain merges the sources in. */
function byteOrder(column: string) {
  return sql<string>`${sql.ref(column)} collate "C"`;
}

/** `(ms(at), id) > (after.at, after.id)` as a row comparison, or true without a position. */
function after(atColumn: string, idColumn: string, position: HistoryPosition): Expression<SqlBool> {
  if (!position) return sql<SqlBool>`true`;
  return sql<SqlBool>`(${ms(atColumn)}, ${byteOrder(idColumn)}) > (${new Date(position.at).toISOString()}::timestamptz, ${position.id} collate "C")`;
}

export const tokenHistoryRepository = {
  /**
   * Audit entries about the token, plus the card's reissue and deletion entries since the token
   * was created (they changed the token without naming it).
   */
  async audit(
    executor: Executor,
    token: { tokenRef: string; cardRef: string; createdAt: Date },
    position: HistoryPosition,
    limit: number,
  ): Promise<HistoryAuditRow[]> {
    const rows = await executor
      .selectFrom('audit_entries')
      .select(['id', ms('at').as('at_ms'), 'actor', 'action', 'subject_type', 'outcome', 'details', 'request_id'])
      .where((eb) =>
        eb.or([
          eb.and([eb('subject_type', '=', 'token'), eb('subject_id', '=', token.tokenRef)]),
          eb.and([
            eb('subject_type', '=', 'card'),
            eb('subject_id', '=', token.cardRef),
            eb('action', 'in', CARD_ACTIONS_ON_TOKENS),
            eb('at', '>=', token.createdAt),
          ]),
        ]),
      )
      .where(after('at', 'id', position))
      .orderBy(ms('at'))
      .orderBy(byteOrder('id'))
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      at: r.at_ms,
      actor: r.actor,
      action: r.action,
      subjectType: r.subject_type,
      outcome: r.outcome,
      details: r.details,
      requestId: r.request_id,
    }));
  },

  /**
   * Risk decisions about the token: those naming it (detokenizations) and the provisioning
   * decision, taken before the token existed and linked to it in `token_provisioning`.
   */
  async riskDecisions(executor: Executor, tokenRef: string, position: HistoryPosition, limit: number): Promise<HistoryRiskRow[]> {
    const rows = await executor
      .selectFrom('risk_decisions')
      .select(['decision_id', ms('created_at').as('at_ms'), 'kind', 'outcome', 'reason_codes'])
      .where((eb) =>
        eb.or([
          eb('token_ref', '=', tokenRef),
          eb('decision_id', '=', eb.selectFrom('token_provisioning').select('risk_decision_id').where('token_provisioning.token_ref', '=', tokenRef)),
        ]),
      )
      .where(after('created_at', 'decision_id', position))
      .orderBy(ms('created_at'))
      .orderBy(byteOrder('decision_id'))
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.decision_id,
      at: r.at_ms,
      kind: r.kind,
      outcome: r.outcome,
      reasonCodes: r.reason_codes,
    }));
  },

  /** Deliveries of the token's webhook events, to the requestor and the issuer, at the time each was queued. */
  async webhookDeliveries(executor: Executor, tokenRef: string, position: HistoryPosition, limit: number): Promise<HistoryDeliveryRow[]> {
    const rows = await executor
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_events as e', 'e.pk', 'd.event_pk')
      .select([
        'd.id',
        ms('d.created_at').as('at_ms'),
        'e.id as event_id',
        'e.type as event_type',
        'd.recipient_type',
        'd.status',
        'd.attempts',
        'd.last_response_status',
        'd.delivered_at',
      ])
      .where('d.token_ref', '=', tokenRef)
      .where(after('d.created_at', 'd.id', position))
      .orderBy(ms('d.created_at'))
      .orderBy(byteOrder('d.id'))
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      at: r.at_ms,
      eventId: r.event_id,
      eventType: r.event_type,
      recipientType: r.recipient_type,
      status: r.status,
      attempts: r.attempts,
      lastResponseStatus: r.last_response_status,
      deliveredAt: r.delivered_at,
    }));
  },
};
