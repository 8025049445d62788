import type { TokenProvisioningTable } from './token-provisioning.table';
import type { TokensTable } from './tokens.table';
import type { VerificationChallengesTable } from './verification-challenges.table';

/** Columns added to `tokens` by migrations/0008-verification.ts. */
export interface TokensTableV2 extends TokensTable {
  /** Who made the last status change: `token_requestor`, `issuer`, `tsp` or `cardholder`. */
  status_actor: string | null;
}

/** Columns added to `tokens` by migrations/0017-token-expiry-renewal.ts. */
export interface TokensTableV3 extends TokensTableV2 {
  /** The expiry the last renewal replaced; detokenization accepts it for a grace window. */
  previous_token_exp_month: number | null;
  previous_token_exp_year: number | null;
  /** When the expiry last changed (start of that grace window). */
  token_expiry_changed_at: Date | null;
}

/** Tables owned by the tokens area (see store/migrations/0007-tokens.ts and 0008-verification.ts). */
export interface TokensTables {
  tokens: TokensTableV3;
  token_provisioning: TokenProvisioningTable;
  verification_challenges: VerificationChallengesTable;
}
