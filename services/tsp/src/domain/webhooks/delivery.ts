import type { Key } from '@opentsp/crypto';
import type { WebhookConfig } from '../../config';
import type { WebhookMetrics } from '../../observability/area-metrics';
import type { Logger } from '../../observability/logger';
import { jobQueueRepository } from '../../store/job-queue.repository';
import type { Executor, UnitOfWork } from '../../store/transaction';
import {
  webhookDeliveriesRepository as deliveries,
  type DeliveryForAttempt,
  type DeliveryUpdate,
  type StoredRecipient,
} from '../../store/webhook-deliveries.repository';
import { retryDelayMs } from './backoff';
import { sendWebhook } from './webhook-sender';
import { streamQueueName, targetOf, type WebhookTargetResolver } from './webhook-target';

/** The graphile-worker task that attempts one delivery; its payload is `{ deliveryId }`. */
export const DELIVER_TASK = 'opentsp_webhook_deliver';


export interface DeliveryDependencies {
  readonly uow: UnitOfWork;
  readonly signingKey: () => Key;
  readonly resolver: WebhookTargetResolver;
  readonly settings: WebhookConfig;
  readonly metrics: WebhookMetrics;
  readonly logger: Logger;
  /** Injected for tests; defaults to the global `fetch`. */
  readonly fetch?: typeof fetch;
}

interface Stream {
  recipient: StoredRecipient;
  tokenRef: string;
}

/**
 * Queues the delivery job of `deliveryId` in the transaction `tx`, in its stream's named queue.
 * `preserveRunAt` leaves an already scheduled retry where it is (used when releasing a stream).
 * `key` (default: the delivery id) is graphile's job key.
 */
export async function enqueueDelivery(
  tx: Executor,
  deliveryId: string,
  stream: Stream,
  options: { runAt?: Date; preserveRunAt?: boolean; key?: string } = {},
): Promise<void> {
  await jobQueueRepository.add(tx, {
    task: DELIVER_TASK,
    payload: { deliveryId },
    queue: streamQueueName(stream.recipient, stream.tokenRef),
    key: options.key ?? deliveryId,
    ...(options.runAt ? { runAt: options.runAt } : {}),
    ...(options.preserveRunAt ? { preserveRunAt: true } : {}),
  });
}

/**
 * One run of a delivery job. Jobs of one stream (recipient + token) run one at a time (named
 * queue), so the checks below cannot race the delivery of an earlier event of the stream:
 *
 * 1. a delivery no longer in line (delivered, dead, parked without URL) makes a stale job a no-op;
 * 2. an earlier delivery of the stream still in line holds this one back: the job ends, the
 *    row stays in line, and the earlier one's completion queues it again (per-token order);
 * 3. otherwise one signed HTTP attempt, whose outcome (and the next job: its retry, or the
 *    next delivery of the stream) is written in one transaction.
 */
export async function attemptDelivery(deps: DeliveryDependencies, deliveryId: string): Promise<void> {
  const db = deps.uow.executor;
  const delivery = await deliveries.findForAttempt(db, deliveryId);
  if (!delivery || delivery.nextAttemptAt === null) return;
  const stream: Stream = { recipient: delivery.recipient, tokenRef: delivery.tokenRef };
  if (await deliveries.oldestInLine(db, stream, delivery.pk)) {
    deps.logger.debug({ deliveryId, eventId: delivery.eventId }, 'webhook held back behind an earlier event of its token');
    return;
  }

  const url = await deps.resolver.urlFor(targetOf(delivery.recipient));
  if (!url) {
    deps.metrics.outcomes.inc({ outcome: 'no_webhook_url' });
    deps.logger.warn({ deliveryId, recipient: delivery.recipient }, 'webhook recipient has no webhook URL; not retried');
    await settle(deps, delivery, stream, {
      status: 'failed',
      attempts: delivery.attempts,
      nextAttemptAt: null,
      lastAttemptAt: new Date(),
      lastResponseStatus: null,
      lastError: 'no_webhook_url',
      url: null,
      deliveredAt: null,
    });
    return;
  }

  const result = await sendWebhook(url, delivery.body, deps.signingKey(), { timeoutMs: deps.settings.timeoutMs, fetch: deps.fetch });
  deps.metrics.latency.observe({ result: result.ok ? 'success' : result.kind }, result.durationMs / 1000);
  const attempts = delivery.attempts + 1;
  const now = new Date();
  const common = { attempts, lastAttemptAt: now, lastResponseStatus: result.status ?? null, url };
  if (result.ok) {
    deps.metrics.outcomes.inc({ outcome: 'delivered' });
    await settle(deps, delivery, stream, { ...common, status: 'delivered', nextAttemptAt: null, lastError: null, deliveredAt: now });
    return;
  }
  const log = { deliveryId, eventId: delivery.eventId, attempts, status: result.status, error: result.error };
  if (attempts >= deps.settings.maxAttempts) {
    deps.metrics.outcomes.inc({ outcome: 'dead' });
    deps.logger.warn(log, 'webhook delivery is dead: retry budget spent');
    await settle(deps, delivery, stream, { ...common, status: 'dead', nextAttemptAt: null, lastError: result.error, deliveredAt: null });
    return;
  }
  const nextAttemptAt = new Date(now.getTime() + retryDelayMs(attempts, deps.settings.backoffBaseMs, deps.settings.backoffMaxMs));
  deps.metrics.outcomes.inc({ outcome: 'retry_scheduled' });
  deps.logger.info({ ...log, nextAttemptAt }, 'webhook attempt failed; retry scheduled');
  await settle(deps, delivery, stream, { ...common, status: 'failed', nextAttemptAt, lastError: result.error, deliveredAt: null });
}

/**
 * Writes an attempt's outcome and, in the same transaction, the job that follows from it: the
 * retry of this delivery, or, when it left the line, the next in-line delivery of its stream.
 */
async function settle(deps: DeliveryDependencies, delivery: DeliveryForAttempt, stream: Stream, update: DeliveryUpdate): Promise<void> {
  await deps.uow.transaction(async (tx) => {
    // A redelivery reset the row while this attempt was in flight: its outcome is stale.
    if (!(await deliveries.update(tx, delivery.id, delivery.attempts, update))) return;
    if (update.nextAttemptAt) {
      // The retry is a job of its own key, never the running job's: when the stale-lock sweep
      // unlocked the running job (its worker looked dead during a database failover), graphile
      // would reschedule that very job in place, and the running job's completion would then
      // delete it, leaving the delivery in line with no job (seen in the failover test).
      await enqueueDelivery(tx, delivery.id, stream, { runAt: update.nextAttemptAt, key: `${delivery.id}:retry:${update.attempts}` });
      return;
    }
    const next = await deliveries.oldestInLine(tx, stream);
    if (next) await enqueueDelivery(tx, next.id, stream, { preserveRunAt: true });
  });
}
