import type { ColumnType, Generated } from 'kysely';

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed' | 'dead';
export type WebhookRecipientType = 'client' | 'issuer';

/**
 * One row per (event, recipient). A delivery is "in line" while `next_attempt_at` is set
 * (pending, or failed with a retry scheduled); deliveries of one recipient for one token go out
 * in `pk` order, so an in-line delivery holds back the later ones of its stream.
 */
export interface WebhookDeliveriesTable {
  pk: Generated<number>;
  /** `dlv_…` */
  id: string;
  event_pk: number;
  recipient_type: WebhookRecipientType;
  recipient_id: string;
  token_ref: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: Date | null;
  last_attempt_at: Date | null;
  last_response_status: number | null;
  /** An error class or status line, never a response body. */
  last_error: string | null;
  /** The URL of the last attempt (resolved at send time). */
  url: string | null;
  created_at: ColumnType<Date, Date, never>;
  delivered_at: Date | null;
}
