/**
 * The payments area's ports to other areas, in ONE file so the wiring can be fixed in one
 * place when their APIs move (vault, identity, risk). Everything else in domain/payments
 * depends on these small interfaces, not on the other areas' modules.
 */
import type { CoreServices } from '../../compose';
import type { RiskDecisionRequest } from '../../risk';
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

export interface RiskVerdict {
  outcome: 'approve' | 'step_up' | 'decline';
  reasonCodes: string[];
  decisionId: string;
}

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

/** Builds the ports from the composition root's core services. */
export function paymentPorts(core: CoreServices): PaymentPorts {
  const { vault } = core;
  return {
    sealer: {
      seal: (tx, context, plaintext) => vault.envelope.seal(tx, context, plaintext),
      open: async (executor, sealed, context) => (await vault.envelope.open(executor, sealed, context)).bytes(),
    },
    cards: {
      async readCard(executor, cardRef) {
        const card = await vault.cards.readCard(executor, cardRef);
        return { revealPan: () => card.pan.reveal(), expMonth: card.expMonth, expYear: card.expYear };
      },
      async openSealedCard(executor, sealed) {
        const card = await vault.cards.openSealedCard(executor, sealed);
        return { revealPan: () => card.pan.reveal(), expMonth: card.expMonth, expYear: card.expYear };
      },
    },
    risk: {
      counter: (now) => core.risk.detokenizationCounter(now),
      async evaluate(request, counts, now) {
        const { decision, record, effects } = await core.risk.evaluateCountedDetokenization(request, counts, now);
        return { verdict: { outcome: decision.outcome, reasonCodes: decision.reasonCodes, decisionId: decision.decisionId }, write: { record, effects } };
      },
    },
  };
}
