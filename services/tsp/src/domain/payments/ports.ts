/**
 * The payments area's ports to other areas (vault, risk), as interfaces the area owns. The
 * composition root adapts those areas to them (composition/payments.ts); everything in
 * domain/payments depends on these small interfaces, not on the other areas' modules.
 */
import type { RiskDecisionRequest, RiskVerdict } from '../../risk';
import type { RiskDecisionWrite } from '../../store/payments.repository';
import type { Executor } from '../../store/transaction';
import type { SealedCardColumns } from '../../vault/card-vault';

/** Seal/open of the payments area's own secrets (the cryptogram master key). */
export interface SecretSealer {
  seal(tx: Executor, context: { purpose: string; ownerRef: string }, plaintext: Buffer): Promise<string>;
  open(executor: Executor, sealed: string, context: { purpose: string; ownerRef: string; field?: string }): Promise<Buffer>;
}

/** The funding card, decrypted (handled only to build the JWE for the caller). */
export interface FundingCard {
  /** The clear PAN, revealed only to put it in the JWE plaintext. */
  revealPan(): string;
  expMonth: number;
  expYear: number;
}

export interface CardReader {
  /** @throws NotFoundError `card_not_found`; VaultError when it cannot be decrypted. */
  readCard(executor: Executor, cardRef: string): Promise<FundingCard>;
  /** The same card from the sealed columns detokenize's one read already returned. */
  openSealedCard(executor: Executor, sealed: SealedCardColumns): Promise<FundingCard>;
}

/** What the payments area asks the risk engine (DESIGN §6): references and the transaction only. */
export type RiskRequest = RiskDecisionRequest & { kind: 'detokenization' };

export type { RiskVerdict } from '../../risk';

/** A decision the rules reached, not stored yet: detokenize writes it with its own statement. */
export interface PendingRiskDecision {
  verdict: RiskVerdict;
  write: RiskDecisionWrite;
}

export interface RiskPort {
  /** The velocity counter detokenize's read counts, in its transaction (rolled back with it). */
  counter(now: Date): { keyPrefix: string; now: Date };
  /** Runs the rules on the counts the read returned (this detokenization included). */
  evaluate(request: RiskRequest, counts: { h1: number; h24: number }, now: Date): Promise<PendingRiskDecision>;
}

export interface PaymentPorts {
  sealer: SecretSealer;
  cards: CardReader;
  risk: RiskPort;
}
