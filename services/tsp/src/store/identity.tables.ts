import type { ClientAssertionJtisTable } from './client-assertion-jtis.table';
import type { ClientsTable } from './clients.table';
import type { IssuerCardBinRangesTable, IssuerTokenBinRangesTable } from './issuer-bin-ranges.table';
import type { IssuersTable } from './issuers.table';

/**
 * Tables owned by the identity area (see store/migrations/0004-identity.ts). The rate
 * limiter's `rate_limit_counters` table is used by rate-limiter-flexible directly, not here.
 */
export interface IdentityTables {
  issuers: IssuersTable;
  issuer_card_bin_ranges: IssuerCardBinRangesTable;
  issuer_token_bin_ranges: IssuerTokenBinRangesTable;
  clients: ClientsTable;
  client_assertion_jtis: ClientAssertionJtisTable;
}
