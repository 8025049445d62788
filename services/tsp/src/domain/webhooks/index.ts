import client from 'prom-client';
import type { AuditLog } from '../../audit/audit-log';
import type { ServiceContext, StopFn } from '../../context';
import type { Metrics } from '../../observability/metrics';
import type { Executor } from '../../store/transaction';
import { unitOfWork } from '../../store/transaction';
import type { VaultServices } from '../../vault';
import { startJobWorker, type BackgroundJobs } from '../../workers/job-worker';
import type { Principal } from '../principal';
import { listDeliveries, redeliver, type DeliveryFilter, type WebhookDeliveryList } from './deliveries-admin';
import { attemptDelivery, DELIVER_TASK, type DeliveryDependencies, type WebhookMetrics } from './delivery';
import { emitWebhook, type EmitWebhookInput, type EmittedWebhook } from './outbox';
import { noWebhookUrls, type WebhookDeliveryView, type WebhookTargetResolver } from './webhook-target';
import { guardedFetch, outboundGuardFor } from '../../util/outbound-guard';

export type { EmitWebhookInput, EmittedWebhook } from './outbox';
export { WebhookEventError } from './outbox';
export type { DeliveryFilter, WebhookDeliveryList } from './deliveries-admin';
export {
  noWebhookUrls,
  webhookTargetsFromRegistry,
  type WebhookUrlRegistry,
  type WebhookTarget,
  type WebhookTargetResolver,
  type WebhookEventType,
  type WebhookEventData,
  type WebhookDeliveryView,
} from './webhook-target';

/** What the webhooks area provides: the outbox (`emit` in a state change's transaction) and delivery. */
export interface WebhookServices {
  /**
   * Records a webhook event for each target inside the caller's transaction; delivery happens
   * after commit, at least once, in order per token and recipient.
   *
   * @example
   * ```ts
   * await services.uow.transaction(async (tx) => {
   *   await tokensRepository.setStatus(tx, tokenRef, 'SUSPENDED');
   *   await services.webhooks.emit(tx, {
   *     type: 'token.suspended',
   *     tokenRef,
   *     data: { token, previousStatus: 'ACTIVE', reason: 'lost', cause: { actor: 'issuer', clientId } },
   *     targets: [{ kind: 'requestor', clientId: walletClientId }, { kind: 'issuer', issuerId }],
   *   });
   * });
   * ```
   * @throws WebhookEventError for a programming error (no targets, tokenRef mismatch, card data in the body).
   */
  emit(tx: Executor, event: EmitWebhookInput): Promise<EmittedWebhook>;
  /** Admin: deliveries newest first (`cursor_invalid` for a foreign cursor). */
  listDeliveries(filter: DeliveryFilter, page: { limit: number; cursor?: string }): Promise<WebhookDeliveryList>;
  /** Admin: redeliver (`delivery_not_found`, `delivery_in_progress`); audited as `webhook.redeliver`. */
  redeliver(principal: Principal, deliveryId: string, requestId?: string): Promise<WebhookDeliveryView>;
  /**
   * Starts the delivery worker (the service's one job worker), with other areas' scheduled
   * `jobs` if given; resolves to its stop function (which waits for in-flight jobs).
   */
  start(jobs?: BackgroundJobs): Promise<StopFn>;
}

export interface WebhookServiceOptions {
  /** Injected for tests; defaults to the global `fetch`. */
  fetch?: typeof fetch;
}

function webhookMetrics(metrics: Metrics): WebhookMetrics {
  const { registry } = metrics;
  // Several service instances may share one registry (tests); reuse what is registered.
  const outcomes =
    (registry.getSingleMetric('opentsp_webhook_deliveries_total') as client.Counter<'outcome'> | undefined) ??
    new client.Counter({
      name: 'opentsp_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome (delivered, retry_scheduled, dead, no_webhook_url)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    });
  const latency =
    (registry.getSingleMetric('opentsp_webhook_delivery_duration_seconds') as client.Histogram<'result'> | undefined) ??
    new client.Histogram({
      name: 'opentsp_webhook_delivery_duration_seconds',
      help: 'Webhook HTTP attempt duration by result (success, http_error, timeout, network_error)',
      labelNames: ['result'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  return { outcomes, latency };
}

/**
 * Builds the webhooks area. `resolver` finds each recipient's webhook URL at send time (the
 * identity registry in production; until it is wired every delivery fails `no_webhook_url`).
 */
export async function createWebhookServices(
  ctx: ServiceContext,
  vault: VaultServices,
  audit: AuditLog,
  resolver: WebhookTargetResolver = noWebhookUrls,
  options: WebhookServiceOptions = {},
): Promise<WebhookServices> {
  const uow = unitOfWork(ctx.database.db);
  const deps: DeliveryDependencies = {
    uow,
    signingKey: () => vault.keyRing.signingKey(),
    resolver,
    settings: ctx.config.webhooks,
    metrics: webhookMetrics(ctx.metrics),
    logger: ctx.logger.child({ component: 'webhooks' }),
    // Every attempt checks its destination first (SSRF guard; sandbox allows all).
    fetch: guardedFetch(outboundGuardFor(ctx.config), options.fetch ?? fetch),
  };
  return {
    emit: emitWebhook,
    listDeliveries: (filter, page) => listDeliveries(uow, filter, page),
    redeliver: (principal, deliveryId, requestId) => redeliver({ uow, audit }, principal, deliveryId, requestId),
    start: (jobs) =>
      startJobWorker({
        pool: ctx.database.pool,
        logger: ctx.logger,
        concurrency: ctx.config.webhooks.concurrency,
        pollIntervalMs: ctx.config.webhooks.pollIntervalMs,
        // An attempt lasts at most its HTTP timeout plus a few queries: twice that and a margin
        // means the worker holding the lock is gone (see startJobWorker).
        staleLockMs: 2 * ctx.config.webhooks.timeoutMs + 15_000,
        handlers: {
          ...jobs?.handlers,
          [DELIVER_TASK]: async (payload) => {
            const { deliveryId } = payload as { deliveryId?: unknown };
            if (typeof deliveryId === 'string') await attemptDelivery(deps, deliveryId);
          },
        },
        ...(jobs ? { crontab: jobs.crontab } : {}),
      }),
  };
}
