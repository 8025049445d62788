import type { ColumnType, Generated } from 'kysely';

/** A registered issuer (bank). Its BIN ranges are in `issuer-bin-ranges.table.ts`. */
export interface IssuersTable {
  id: string;
  name: string;
  country: string;
  status: 'active' | 'suspended';
  decision_url: string | null;
  otp_delivery_url: string | null;
  webhook_url: string | null;
  jwks: ColumnType<{ keys: Record<string, unknown>[] } | null, string | null, string | null>;
  stand_in_decision: 'approve' | 'step_up' | 'decline';
  bin_controller_id: string;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}
