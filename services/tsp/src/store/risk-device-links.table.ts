import type { ColumnType } from 'kysely';

/**
 * Which wallet accounts and cards a device has been seen with (non-declined provisioning or
 * push redemption): gives `device.known`, `device.cardsOnDevice` and `device.accountsOnDevice`.
 */
export interface RiskDeviceLinksTable {
  device_key: string;
  account_key: string;
  card_key: string;
  first_seen_at: ColumnType<Date, string, string>;
  last_seen_at: ColumnType<Date, string, string>;
}
