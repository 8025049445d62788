import { compactKid } from '@opentsp/crypto';
import type { ServiceContext } from '../context';
import { createTokenServices, type TokenServices } from '../domain/tokens';
import type { TokenPorts, VaultCard } from '../domain/tokens/ports';
import { StateError } from '../errors';
import type { CoreServices } from './core';

/** The tokens area, wired to the vault, identity, risk and webhooks areas through its ports. */
export function buildTokenServices(ctx: ServiceContext, core: CoreServices): Promise<TokenServices> {
  return createTokenServices(ctx, { uow: core.uow, audit: core.audit, issuers: core.identity.issuers, ports: tokenPorts(core) });
}

function toVaultCard(r: { cardRef: string; issuerId: string; par: string; panLast4: string; expMonth: number; expYear: number }): VaultCard {
  return { cardRef: r.cardRef, issuerId: r.issuerId, par: r.par, panLast4: r.panLast4, expMonth: r.expMonth, expYear: r.expYear };
}

/** The tokens area's ports over the other areas' services. */
export function tokenPorts(core: CoreServices): TokenPorts {
  const { vault, identity, risk, webhooks } = core;
  const registry = identity.registry;
  return {
    async decryptionKeysFor(jwe) {
      const kid = compactKid(jwe);
      if (kid && !vault.keyRing.decryptionKeys().has(kid)) await vault.keyRing.ensureKid?.(kid);
      return vault.keyRing.decryptionKeys();
    },
    signingKey: () => vault.keyRing.signingKey(),
    cards: {
      async findByFingerprint(tx, pan) {
        const found = await vault.cards.findByFingerprint(tx, pan);
        return found ? toVaultCard(found) : undefined;
      },
      async storeCard(tx, input) {
        // A new card takes the reference already announced to the issuer in the decision
        // request, so the issuer's records and the token agree.
        const stored = await vault.cards.storeCard(tx, input);
        // A fresh insert is what we just wrote: no read back (one round trip less).
        if (stored.created) return { cardRef: stored.cardRef, issuerId: input.issuerId, par: stored.par, panLast4: stored.panLast4, expMonth: input.expMonth, expYear: input.expYear, newlyStored: true };
        return toVaultCard(await vault.cards.getCard(tx, stored.cardRef));
      },
      async updateCard(tx, cardRef, input) {
        return toVaultCard(await vault.cards.updateCard(tx, cardRef, input));
      },
      async shredCard(tx, cardRef) {
        await vault.cards.shredCard(tx, cardRef);
      },
    },
    fingerprint: (pan) => vault.fingerprints.fingerprint(pan),
    async allocateTokenNumber(tx, issuerId) {
      const ranges = registry.tokenBinRangesOf(issuerId);
      const cardRanges = registry.allCardBinRanges();
      let lastError: unknown = new StateError('token_range_exhausted', 'The issuer has no token BIN range.');
      // The first range with a free number wins; a full range falls through to the next one.
      for (const range of ranges) {
        try {
          return await vault.tokenNumbers.allocate(tx, range, cardRanges);
        } catch (err) {
          if (!(err instanceof StateError && err.code === 'token_range_exhausted')) throw err;
          lastError = err;
        }
      }
      throw lastError;
    },
    seal: (tx, context, secret) => vault.envelope.seal(tx, context, secret),
    open: (executor, sealed, context) => vault.envelope.open(executor, sealed, context),
    registry: {
      findIssuerForPan: (pan) => registry.findIssuerForPan(pan),
      getIssuer: (id) => registry.getIssuer(id),
      getClient: (id) => registry.getClient(id),
      allCardBinRanges: () => registry.allCardBinRanges(),
    },
    risk: {
      async decide(tx, input) {
        const decision = await risk.decide(tx, input);
        return { outcome: decision.outcome, reasonCodes: decision.reasonCodes, decisionId: decision.decisionId, score: decision.score };
      },
      recordEvent: (tx, event) => risk.recordEvent(tx, event),
    },
    webhooks: {
      async emit(tx, event) {
        await webhooks.emit(tx, event);
      },
    },
  };
}
