import type { KeySet, Key } from '@opentsp/crypto';
import type { CoreServices } from '../../compose';
import type { Executor } from '../../store/transaction';
import type { RiskEvent, RiskSignalsInput, RiskSubject } from '../../risk';
import type { Pan, Plaintext } from '../../vault/secrets';
import { StateError } from '../errors';
import type { Issuer, Client, OwnedCardBinRange } from '../identity/records';

/**
 * What the tokens area needs from the vault, identity, risk and webhooks areas, in one place.
 * Those areas were built in parallel with this one; this file is the only one that knows
 * their exact shapes, so a change of theirs is fixed here and nowhere else.
 */

/** A vaulted card as stored (no PAN). */
export interface VaultCard {
  cardRef: string;
  issuerId: string;
  par: string;
  panLast4: string;
  expMonth: number;
  expYear: number;
  /** Set by `storeCard` when this call inserted the card (no product or card art yet). */
  newlyStored?: boolean;
}

export interface StoreCardInput {
  issuerId: string;
  pan: Pan;
  expMonth: number;
  expYear: number;
  cardholderName?: string;
  product?: string;
  cardArtAssetId?: string;
  /** Reference to give the card (provisioning names it to the issuer before storing it). */
  cardRef?: string;
  /** The caller found no card with this PAN in the same transaction (saves a lookup). */
  knownAbsent?: boolean;
}

export interface CardVaultPort {
  /** The card with this PAN (by keyed fingerprint), if stored and not deleted. */
  findByFingerprint(tx: Executor, pan: Pan): Promise<VaultCard | undefined>;
  /** Stores a new card (the caller dedupes first with `findByFingerprint`). */
  storeCard(tx: Executor, input: StoreCardInput): Promise<VaultCard>;
  /** Replaces PAN and expiry of a card (reissue); the card keeps its `cardRef`. */
  updateCard(tx: Executor, cardRef: string, input: { pan: Pan; expMonth: number; expYear: number }): Promise<VaultCard>;
  /** Deletes a card and destroys its key material (crypto-shredding). */
  shredCard(tx: Executor, cardRef: string): Promise<void>;
}

export interface RiskDecision {
  decisionId?: string;
  outcome: 'approve' | 'step_up' | 'decline';
  reasonCodes: string[];
  score?: number;
}

export interface RiskPort {
  decide(tx: Executor, input: { kind: 'provisioning'; subject: RiskSubject; signals: RiskSignalsInput }): Promise<RiskDecision>;
  /** Records a behaviour event for velocity rules (a failed OTP). */
  recordEvent(tx: Executor, event: RiskEvent): Promise<void>;
}

export type WebhookTarget = { kind: 'requestor'; clientId: string } | { kind: 'issuer'; issuerId: string };

export interface WebhookPort {
  emit(tx: Executor, event: { type: string; tokenRef: string; data: Record<string, unknown>; targets: WebhookTarget[] }): Promise<void>;
}

export interface RegistryPort {
  findIssuerForPan(pan: string): Issuer | undefined;
  getIssuer(issuerId: string): Issuer | undefined;
  getClient(clientId: string): Client | undefined;
  allCardBinRanges(): readonly OwnedCardBinRange[];
}

export interface TokenPorts {
  /**
   * Private keys that may decrypt this `encryptedCard` JWE. A `kid` this process does not know
   * yet (another process rotated the keys) makes the key ring reload once first.
   */
  decryptionKeysFor(jwe: string): Promise<KeySet>;
  /** The TSP's current signing key (`OpenTSP-Signature` on issuer calls). */
  signingKey(): Key;
  cards: CardVaultPort;
  /** The PAN's keyed fingerprint (for risk velocity per card), when the vault offers it. */
  fingerprint(pan: Pan): string | undefined;
  /** Allocates a token number in the issuer's token BIN range, inside `tx`. */
  allocateTokenNumber(tx: Executor, issuerId: string): Promise<string>;
  seal(tx: Executor, context: { purpose: string; ownerRef: string }, secret: string): Promise<string>;
  open(executor: Executor, sealed: string, context: { purpose: string; ownerRef: string }): Promise<Plaintext>;
  registry: RegistryPort;
  risk: RiskPort;
  webhooks: WebhookPort;
}

function toVaultCard(r: { cardRef: string; issuerId: string; par: string; panLast4: string; expMonth: number; expYear: number }): VaultCard {
  return { cardRef: r.cardRef, issuerId: r.issuerId, par: r.par, panLast4: r.panLast4, expMonth: r.expMonth, expYear: r.expYear };
}

/** The `kid` of a compact JWE's protected header, without trusting anything else in it. */
function kidOf(jwe: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(jwe.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof header.kid === 'string' && header.kid.length <= 128 ? header.kid : undefined;
  } catch {
    return undefined;
  }
}

/** Builds the ports from the composition root's core services. */
export function tokenPortsFrom(core: CoreServices): TokenPorts {
  const { vault, identity, risk, webhooks } = core;
  const registry = identity.registry;
  return {
    async decryptionKeysFor(jwe) {
      const kid = kidOf(jwe);
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
        await webhooks.emit(tx, event as unknown as Parameters<typeof webhooks.emit>[1]);
      },
    },
  };
}
