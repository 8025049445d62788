import type { AuditLog } from '../../audit/audit-log';
import type { BackgroundJobs, ServiceContext } from '../../context';
import { webhookMetrics } from '../../observability/area-metrics';
import type { Executor } from '../../store/transaction';
import { unitOfWork } from '../../store/transaction';
import type { VaultServices } from '../../vault';
import type { Principal } from '../principal';
import { listDeliveries, redeliver, type DeliveryFilter, type WebhookDeliveryList } from './deliveries-admin';
import { attemptDelivery, DELIVER_TASK, type DeliveryDependencies } from './delivery';
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
   * The delivery job (one attempt per job, payload `{ deliveryId }`), run by the service's one
   * job worker, which the composition root starts (compose.ts `startBackgroundWork`).
   */
  readonly jobs: BackgroundJobs;
}

export interface WebhookServiceOptions {
  /** Injected for tests; defaults to the global `fetch`. */
  fetch?: typeof fetch;
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
    jobs: {
      handlers: {
        [DELIVER_TASK]: async (payload) => {
          const { deliveryId } = payload as { deliveryId?: unknown };
          if (typeof deliveryId === 'string') await attemptDelivery(deps, deliveryId);
        },
      },
      crontab: [],
    },
  };
}
