import type { components } from '@opentsp/api-types';
import type { AuditLog } from '../../audit/audit-log';
import { decodeCursor, encodeCursor } from '../../store/pagination';
import type { UnitOfWork } from '../../store/transaction';
import { webhookDeliveriesRepository as deliveries, type DeliveryFilter, type DeliveryRecord } from '../../store/webhook-deliveries.repository';
import { NotFoundError, StateError } from '../../errors';
import type { Principal } from '../principal';
import { enqueueDelivery } from './delivery';
import type { WebhookDeliveryView } from './webhook-target';

export type WebhookDeliveryList = components['schemas']['WebhookDeliveryList'];
export type WebhookDeliveryStatus = components['schemas']['WebhookDeliveryStatus'];
export type { DeliveryFilter };

/** The contract's view of a delivery (`WebhookDelivery`): absent members instead of nulls. */
export function deliveryView(record: DeliveryRecord): WebhookDeliveryView {
  const view: WebhookDeliveryView = {
    deliveryId: record.id,
    eventId: record.eventId,
    eventType: record.eventType as WebhookDeliveryView['eventType'],
    recipient: record.recipient,
    status: record.status,
    attempts: record.attempts,
    createdAt: record.createdAt.toISOString(),
  };
  if (record.url) view.url = record.url;
  if (record.lastAttemptAt) view.lastAttemptAt = record.lastAttemptAt.toISOString();
  if (record.nextAttemptAt) view.nextAttemptAt = record.nextAttemptAt.toISOString();
  if (record.lastResponseStatus !== null) view.lastResponseStatus = record.lastResponseStatus;
  if (record.lastError) view.lastError = record.lastError.slice(0, 500);
  if (record.deliveredAt) view.deliveredAt = record.deliveredAt.toISOString();
  return view;
}

/**
 * A page of deliveries, newest first. The cursor is bound to the filters it was issued with:
 * reusing it with others answers 400 `cursor_invalid`.
 */
export async function listDeliveries(
  uow: UnitOfWork,
  filter: DeliveryFilter,
  page: { limit: number; cursor?: string },
): Promise<WebhookDeliveryList> {
  const list = `webhook-deliveries:${filter.status ?? ''}:${filter.eventType ?? ''}:${filter.clientId ?? ''}`;
  const after = decodeCursor(list, page.cursor);
  const rows = await deliveries.list(uow.executor, filter, { limit: page.limit + 1, ...(after ? { after } : {}) });
  const data = rows.slice(0, page.limit).map(deliveryView);
  const last = rows.length > page.limit ? rows[page.limit - 1] : undefined;
  return { data, nextCursor: last ? encodeCursor(list, { at: last.createdAt.toISOString(), id: last.id }) : null };
}

/**
 * Puts a delivery back in line with a fresh retry budget (same event body; a new signature
 * and `iat` at send time) and audits it as `webhook.redeliver`. If an earlier event of the
 * same token is still in line for this recipient, it goes first.
 *
 * @throws NotFoundError `delivery_not_found`; StateError `delivery_in_progress` when `pending`.
 */
export async function redeliver(
  deps: { uow: UnitOfWork; audit: AuditLog },
  principal: Principal,
  deliveryId: string,
  requestId?: string,
): Promise<WebhookDeliveryView> {
  return deps.uow.transaction(async (tx) => {
    const current = await deliveries.find(tx, deliveryId, true);
    if (!current) throw new NotFoundError('delivery_not_found', 'No webhook delivery with this id.');
    if (current.status === 'pending') throw new StateError('delivery_in_progress', 'The delivery is already pending.');
    const now = new Date();
    await deliveries.update(tx, deliveryId, current.attempts, {
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      lastAttemptAt: null,
      lastResponseStatus: null,
      lastError: null,
      url: current.url,
      deliveredAt: null,
    });
    // Replaces a retry still scheduled for a `failed` delivery, so it runs now.
    await enqueueDelivery(tx, deliveryId, { recipient: current.recipient, tokenRef: current.tokenRef });
    await deps.audit.append(tx, {
      actor: { type: 'client', clientId: principal.clientId },
      action: 'webhook.redeliver',
      subject: { type: 'webhook_delivery', id: deliveryId },
      outcome: 'success',
      details: { eventId: current.eventId, eventType: current.eventType, previousStatus: current.status, previousAttempts: current.attempts },
      ...(requestId ? { requestId } : {}),
    });
    const after = await deliveries.find(tx, deliveryId);
    return deliveryView(after as DeliveryRecord);
  });
}
