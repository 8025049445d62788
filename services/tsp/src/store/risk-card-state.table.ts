import type { ColumnType } from 'kysely';

/**
 * What the risk engine remembers about a card (keyed by its PAN fingerprint or card ref):
 * where and when it was last used (impossible travel) and when it was last suspended.
 */
export interface RiskCardStateTable {
  card_key: string;
  last_event_at: ColumnType<Date | null, string | null, string | null>;
  last_lat: number | null;
  last_lon: number | null;
  last_country: string | null;
  last_suspended_at: ColumnType<Date | null, string | null, string | null>;
}
