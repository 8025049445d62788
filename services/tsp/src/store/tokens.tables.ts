import type { TokenProvisioningTable } from './token-provisioning.table';
import type { TokensTable } from './tokens.table';
import type { VerificationChallengesTable } from './verification-challenges.table';

/** Columns added to `tokens` by migrations/0008-verification.ts. */
export interface TokensTableV2 extends TokensTable {
  /** Who made the last status change: `token_requestor`, `issuer`, `tsp` or `cardholder`. */
  status_actor: string | null;
}

/** Tables owned by the tokens area (see store/migrations/0007-tokens.ts and 0008-verification.ts). */
export interface TokensTables {
  tokens: TokensTableV2;
  token_provisioning: TokenProvisioningTable;
  verification_challenges: VerificationChallengesTable;
}
