import { randomBytes } from 'node:crypto';
import { containsCardNumber } from '../../observability/card-data-scrubber';
import type { Executor } from '../../store/transaction';
import { webhookDeliveriesRepository } from '../../store/webhook-deliveries.repository';
import { DELIVER_TASK } from './delivery';
import { recipientOf, streamQueueName, type Recipient, type WebhookEventBody, type WebhookEventData, type WebhookEventType, type WebhookTarget } from './webhook-target';

/** What a state change announces (see `WebhookServices.emit`). */
export interface EmitWebhookInput {
  type: WebhookEventType;
  /** The token the event is about: events of one token reach each recipient in emission order. */
  tokenRef: string;
  /** The body's `data` (schema `WebhookEvent.data`); `data.token.tokenRef` must be `tokenRef`. */
  data: WebhookEventData;
  /** One or more recipients; duplicates are delivered once. */
  targets: readonly WebhookTarget[];
}

export interface EmittedWebhook {
  /** `evt_…`, the `id` of the body: receivers deduplicate by it. */
  eventId: string;
  /** `dlv_…`, one per distinct recipient, in the order of `targets`. */
  deliveryIds: string[];
}

/** A programming error: the event cannot be sent as given (never a caller's input error). */
export class WebhookEventError extends Error {
  override readonly name = 'WebhookEventError';
}

/** A readable-prefix id with 20 random base62-ish characters (DESIGN §7a). */
export function newId(prefix: 'evt' | 'dlv'): string {
  return `${prefix}_${randomBytes(15).toString('base64url').replace(/[-_]/g, '0')}`;
}

/**
 * Writes an event and its deliveries into the outbox and queues their delivery jobs, all in
 * the caller's transaction `tx`: if the state change rolls back, nothing is ever sent; if it
 * commits, every recipient gets the event at least once.
 */
export async function emitWebhook(tx: Executor, input: EmitWebhookInput): Promise<EmittedWebhook> {
  if (input.targets.length === 0) throw new WebhookEventError(`${input.type} has no targets`);
  if (input.data?.token?.tokenRef !== input.tokenRef) {
    throw new WebhookEventError(`${input.type}: data.token.tokenRef does not match tokenRef`);
  }
  const recipients = uniqueRecipients(input.targets);
  const eventId = newId('evt');
  const createdAt = new Date();
  const event: WebhookEventBody = { id: eventId, type: input.type, createdAt: createdAt.toISOString(), data: input.data };
  const body = JSON.stringify(event);
  // Webhook bodies leave the TSP: a card number here is a programming error (PCI DSS 4.0
  // req. 3.3/4.2); refuse loudly rather than send it.
  if (containsCardNumber(body)) throw new WebhookEventError(`${input.type} body contains a card number`);

  const planned = recipients.map((recipient) => ({ id: newId('dlv'), recipient }));
  // One round trip: the event, its deliveries and their jobs (what `enqueueDelivery` queues).
  await webhookDeliveriesRepository.insertEventWithJobs(
    tx,
    { id: eventId, type: input.type, tokenRef: input.tokenRef, createdAt, body, deliveries: planned },
    planned.map((d) => ({ task: DELIVER_TASK, payload: { deliveryId: d.id }, queue: streamQueueName(d.recipient, input.tokenRef), key: d.id })),
  );
  return { eventId, deliveryIds: planned.map((d) => d.id) };
}

function uniqueRecipients(targets: readonly WebhookTarget[]): Recipient[] {
  const seen = new Map<string, Recipient>();
  for (const target of targets) {
    const recipient = recipientOf(target);
    if (!recipient.id) throw new WebhookEventError('a webhook target has no id');
    seen.set(`${recipient.type}:${recipient.id}`, recipient);
  }
  return [...seen.values()];
}
