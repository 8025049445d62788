import type { ServiceContext } from '../context';
import { createPaymentServices, type PaymentServices } from '../domain/payments';
import type { PaymentPorts } from '../domain/payments/ports';
import type { CoreServices } from './core';

/** The payments area, wired to the vault and risk areas through its ports. */
export function buildPaymentServices(ctx: ServiceContext, core: CoreServices): Promise<PaymentServices> {
  return createPaymentServices(ctx, { uow: core.uow, registry: core.identity.registry, ports: paymentPorts(core) });
}

/** The payments area's ports over the vault and the risk engine. */
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
