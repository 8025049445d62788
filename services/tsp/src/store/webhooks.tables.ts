import type { WebhookDeliveriesTable } from './webhook-deliveries.table';
import type { WebhookEventsTable } from './webhook-events.table';

/**
 * Tables owned by the webhooks area: the outbox events and their deliveries (see
 * migrations/0006-webhooks.ts). The job queue itself lives in graphile-worker's own schema.
 */
export interface WebhooksTables {
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
}
