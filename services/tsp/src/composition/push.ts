import type { ServiceContext } from '../context';
import { createPushServices, type PushServices } from '../domain/push';
import type { PushAreaPorts } from '../domain/push/ports';
import type { TokenServices } from '../domain/tokens';
import type { CoreServices } from './core';

/** The push area, wired to the tokens, vault, identity, risk and webhooks areas through its ports. */
export function buildPushServices(ctx: ServiceContext, core: CoreServices, tokens: TokenServices): Promise<PushServices> {
  return createPushServices(ctx, { uow: core.uow, audit: core.audit, ports: pushPorts(core, tokens) });
}

/** The push area's ports over the other areas' services. */
export function pushPorts(core: CoreServices, tokens: TokenServices): PushAreaPorts {
  const { vault, identity, risk, webhooks } = core;
  return {
    registry: identity.registry,
    signingKey: () => vault.keyRing.signingKey(),
    decryptionKeys: () => vault.keyRing.decryptionKeys(),
    storeCard: (tx, card) => vault.cards.storeCard(tx, card),
    // The tokens area owns token creation for pushes (ACTIVE, assurance 14, events, audit).
    createToken: (tx, input) => tokens.createPushedToken(tx, input),
    async decideRisk(tx, input) {
      const decision = await risk.decide(tx, { kind: 'push_redemption', ...input });
      return { outcome: decision.outcome, reasonCodes: decision.reasonCodes, decisionId: decision.decisionId };
    },
    async emitWebhook(tx, event) {
      await webhooks.emit(tx, event);
    },
  };
}
