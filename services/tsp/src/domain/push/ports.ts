import type { Key } from '@opentsp/crypto';
import type { CoreServices } from '../../compose';
import type { Config } from '../../config';
import { cardMetadataRepository, type CardMetadata } from '../../store/card-metadata.repository';
import type { Executor } from '../../store/transaction';
import type { Client, Issuer } from '../identity/records';
import { assertIssuerOwnsPan } from '../identity/tenancy';
import type { Principal } from '../principal';
import { decryptCardData } from '../provisioning/card-data';
import type { TokenServices } from '../tokens';
import type { Cause } from '../tokens/cause';
import { type Channel, type DeviceSummary, type Token, type TokenLocation } from './types';

/**
 * What the push area needs from the tokens, vault, identity, risk and webhooks areas, in one
 * place. Those areas were built in parallel with this one; this file is the only one that
 * knows their exact shapes, so a change of theirs is fixed here and nowhere else.
 */

/** A vaulted card's public facts (no PAN). */
export type PushCard = CardMetadata;

/** The token a push creates: ACTIVE, assurance method `14`, no card entry, no OTP. */
export interface NewPushedToken {
  card: PushCard;
  /** The token requestor's OAuth2 client and TRID. */
  requestor: { clientId: string; trid: string };
  walletAccountId: string;
  device?: DeviceSummary;
  channel: Channel;
  tokenLocation: TokenLocation;
  /** Who caused it (the wallet redeeming, or the issuer pushing directly). */
  cause: Cause;
  /** The risk engine's decision, when one was made. */
  risk?: { decisionId?: string; outcome: string; reasonCodes: string[] };
  /** Audit details of the creation (receipt id …; never the receipt value). */
  details?: Record<string, unknown>;
  /** Pre-allocated token reference (a redemption records it with its claim); default a new one. */
  tokenRef?: string;
}

export interface PushRiskDecision {
  decisionId?: string;
  outcome: 'approve' | 'step_up' | 'decline';
  reasonCodes: string[];
}

export type PushWebhookTarget = { kind: 'requestor'; clientId: string } | { kind: 'issuer'; issuerId: string };

export interface PushPorts {
  readonly registry: {
    getRequestorByTrid(trid: string): Client | undefined;
    getIssuer(issuerId: string): Issuer | undefined;
  };
  /** The TSP's current signing key (signed push payloads). */
  signingKey(): Key;
  /** The card's public facts, or undefined (no such card). */
  findCard(executor: Executor, cardRef: string): Promise<PushCard | undefined>;
  /**
   * Decrypts an issuer's `encryptedCard`, checks the PAN is in the issuer's own BIN ranges
   * and stores it in the vault (or finds it there): `jwe_invalid`, `card_invalid_luhn`,
   * `card_expired`, `card_bin_unknown`, `cross_tenant_access`.
   */
  storeEncryptedCard(tx: Executor, principal: Principal, encryptedCard: string): Promise<PushCard>;
  /**
   * Creates the token (tokens area) in `tx`, with its audit entry and its `token.created` /
   * `token.activated` webhooks to the requestor and the issuer; returns the contract view.
   */
  createToken(tx: Executor, input: NewPushedToken): Promise<Token>;
  /** The risk engine, evaluation point `push_redemption`. */
  decideRisk(tx: Executor, input: { subject: Record<string, unknown>; signals: Record<string, unknown> }): Promise<PushRiskDecision>;
  /** The webhook outbox, in `tx`. */
  emitWebhook(tx: Executor, event: { type: 'token.pushed'; tokenRef: string; data: { token: Token } & Record<string, unknown>; targets: PushWebhookTarget[] }): Promise<void>;
}

/** Loosely typed view used only to reach members that may not exist yet in another area. */
type Loose = Record<string, unknown>;

function member<T>(owner: unknown, path: string): T {
  let value: unknown = owner;
  for (const name of path.split('.')) value = value && typeof value === 'object' ? (value as Loose)[name] : undefined;
  if (value === undefined) throw new Error(`push area: ${path} is not provided by this build (see domain/push/ports.ts)`);
  return value as T;
}

function call<R>(owner: unknown, path: string, ...args: unknown[]): R {
  const dot = path.lastIndexOf('.');
  const target = dot < 0 ? owner : member<object>(owner, path.slice(0, dot));
  return member<(...a: unknown[]) => R>(owner, path).apply(target, args);
}

/** Builds the ports from the composition root's services. */
export function pushPortsFrom(core: CoreServices, tokens: TokenServices, config: Config): PushPorts {
  const { vault, identity, risk, webhooks } = core;
  return {
    registry: {
      getRequestorByTrid: (trid) => identity.registry.getRequestorByTrid(trid),
      getIssuer: (issuerId) => identity.registry.getIssuer(issuerId),
    },
    signingKey: () => vault.keyRing.signingKey(),
    async findCard(executor, cardRef) {
      return (await cardMetadataRepository.byRefs(executor, [cardRef])).get(cardRef);
    },
    async storeEncryptedCard(tx, principal, encryptedCard) {
      const data = await decryptCardData(encryptedCard, vault.keyRing.decryptionKeys(), { maxAgeSeconds: config.tokens.jweMaxAgeSeconds });
      assertIssuerOwnsPan(principal, data.pan.reveal(), identity.registry);
      const stored = await vault.cards.storeCard(tx, {
        issuerId: principal.issuerId as string,
        pan: data.pan,
        expMonth: data.expMonth,
        expYear: data.expYear,
        ...(data.cardholderName ? { cardholderName: data.cardholderName } : {}),
      });
      if (stored.created) {
        await core.audit.append(tx, {
          actor: { type: 'client', clientId: principal.clientId },
          action: 'card.create',
          subject: { type: 'card', id: stored.cardRef },
          outcome: 'success',
          details: { issuerId: principal.issuerId, via: 'push' },
        });
      }
      const card = (await cardMetadataRepository.byRefs(tx, [stored.cardRef])).get(stored.cardRef);
      if (!card) throw new Error('push area: a card just stored cannot be read back');
      return card;
    },
    // The tokens area owns token creation for pushes (ACTIVE, assurance 14, events, audit).
    createToken: (tx, input) => tokens.createPushedToken(tx, input),
    async decideRisk(tx, input) {
      const decision = await call<Promise<Loose>>(risk, 'decide', tx, { kind: 'push_redemption', ...input });
      return {
        outcome: decision.outcome as PushRiskDecision['outcome'],
        reasonCodes: (decision.reasonCodes as string[] | undefined) ?? [],
        ...(typeof decision.decisionId === 'string' ? { decisionId: decision.decisionId } : {}),
      };
    },
    async emitWebhook(tx, event) {
      await webhooks.emit(tx, event);
    },
  };
}
