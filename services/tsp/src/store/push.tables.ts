import type { PushReceiptsTable, PushRedemptionFailuresTable } from './push-receipts.table';

/** Tables owned by the push area (see store/migrations/0010-push.ts). */
export interface PushTables {
  push_receipts: PushReceiptsTable;
  push_redemption_failures: PushRedemptionFailuresTable;
}
