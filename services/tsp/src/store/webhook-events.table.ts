import type { ColumnType, Generated } from 'kysely';

/**
 * The outbox: one row per webhook event, written in the transaction of the token state change
 * it announces. `body` is the exact JSON sent to every recipient, serialized once, so every
 * attempt and redelivery signs and sends the same bytes (the `OpenTSP-Signature` covers them).
 */
export interface WebhookEventsTable {
  /** Insertion order; the order of events within a token. */
  pk: Generated<number>;
  /** `evt_…`, the `id` receivers deduplicate by. */
  id: string;
  type: string;
  token_ref: string;
  created_at: ColumnType<Date, Date, never>;
  body: ColumnType<string, string, never>;
}
