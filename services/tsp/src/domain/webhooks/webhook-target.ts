import type { components } from '@opentsp/api-types';

export type WebhookEventType = components['schemas']['WebhookEventType'];
/** The `data` member of a webhook body (schema `WebhookEvent` in openapi/tsp.yaml). */
export type WebhookEventData = components['schemas']['WebhookEvent']['data'];
export type WebhookEventBody = components['schemas']['WebhookEvent'];
export type WebhookDeliveryView = components['schemas']['WebhookDelivery'];

/** Who receives an event: the token requestor (by its OAuth2 client) and/or the issuer. */
export type WebhookTarget = { kind: 'requestor'; clientId: string } | { kind: 'issuer'; issuerId: string };

/**
 * Finds a recipient's webhook URL at send time (so a changed registration applies to pending
 * retries). The identity registry (`clients.webhook_url`, `issuers.webhook_url`) implements it;
 * `undefined` means the recipient has no webhook URL: the delivery fails with `no_webhook_url`
 * and is not retried until an operator redelivers it.
 */
export interface WebhookTargetResolver {
  urlFor(target: WebhookTarget): Promise<string | undefined>;
}

/** A resolver that knows no URL (used until the identity registry is wired in compose.ts). */
export const noWebhookUrls: WebhookTargetResolver = { urlFor: async () => undefined };

/** The recipient as the contract names it (`WebhookDelivery.recipient`). */
export interface Recipient {
  type: 'client' | 'issuer';
  id: string;
}

export function recipientOf(target: WebhookTarget): Recipient {
  return target.kind === 'requestor' ? { type: 'client', id: target.clientId } : { type: 'issuer', id: target.issuerId };
}

export function targetOf(recipient: Recipient): WebhookTarget {
  return recipient.type === 'client' ? { kind: 'requestor', clientId: recipient.id } : { kind: 'issuer', issuerId: recipient.id };
}

/**
 * The graphile-worker named queue of one stream (one recipient, one token). Jobs of a queue run
 * one at a time across all processes, which is what lets a delivery check "is an earlier one
 * of my stream still in line?" without racing the delivery of that earlier one.
 */
export function streamQueueName(recipient: Recipient, tokenRef: string): string {
  return `opentsp-webhooks:${recipient.type}:${recipient.id}:${tokenRef}`;
}

/** The registry lookups a resolver needs (the identity area's `IdentityRegistry` has them). */
export interface WebhookUrlRegistry {
  getClient(clientId: string): { webhookUrl?: string } | undefined;
  getIssuer(issuerId: string): { webhookUrl?: string } | undefined;
}

/**
 * The resolver over the identity registry (`clients.webhook_url`, `issuers.webhook_url`), read
 * at send time from its in-memory copy, which follows registry changes.
 */
export function webhookTargetsFromRegistry(registry: WebhookUrlRegistry): WebhookTargetResolver {
  return {
    urlFor: async (target) =>
      (target.kind === 'requestor' ? registry.getClient(target.clientId) : registry.getIssuer(target.issuerId))?.webhookUrl,
  };
}
