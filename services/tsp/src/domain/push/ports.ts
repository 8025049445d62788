import type { Key, KeySet } from '@opentsp/crypto';
import type { RiskSignalsInput, RiskSubject, RiskVerdict } from '../../risk';
import type { CardMetadata } from '../../store/card-metadata.repository';
import type { Executor } from '../../store/transaction';
import type { Pan } from '../../vault/secrets';
import type { IdentityRegistry } from '../identity';
import type { Client, Issuer } from '../identity/records';
import type { Principal } from '../principal';
import type { Cause } from '../tokens/cause';
import type { WebhookTarget } from '../webhooks';
import { type Channel, type DeviceSummary, type Token, type TokenLocation } from './types';

/**
 * What the push area needs from the tokens, vault, identity, risk and webhooks areas, as
 * interfaces the area owns. The composition root adapts those areas to `PushAreaPorts`
 * (composition/push.ts); the area adds its own card handling on top (push-card.ts).
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

/** The risk engine's verdict on a redemption (declared by the risk area). */
export type PushRiskDecision = RiskVerdict;

/**
 * What redemption tells the risk engine: its subject and signals, plus push facts (issuer,
 * PAR, device, channel, receipt age) recorded with the decision as given.
 */
export interface PushRiskInput {
  subject: RiskSubject & Record<string, unknown>;
  signals: RiskSignalsInput & Record<string, unknown>;
}

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
  decideRisk(tx: Executor, input: PushRiskInput): Promise<PushRiskDecision>;
  /** The webhook outbox, in `tx`. */
  emitWebhook(tx: Executor, event: { type: 'token.pushed'; tokenRef: string; data: { token: Token } & Record<string, unknown>; targets: WebhookTarget[] }): Promise<void>;
}

/** What the composition root provides (composition/push.ts): the other areas, adapted. */
export interface PushAreaPorts extends Omit<PushPorts, 'registry' | 'findCard' | 'storeEncryptedCard'> {
  /** The identity area's registry (requestors by TRID, issuers, BIN ranges). */
  readonly registry: IdentityRegistry;
  /** Private keys that may decrypt an issuer's `encryptedCard` JWE. */
  decryptionKeys(): KeySet;
  /**
   * Stores the card in the vault (or finds it there by PAN): `created` tells which.
   * @throws CardOfAnotherIssuerError (the vault's) when the PAN is vaulted for another issuer.
   */
  storeCard(
    tx: Executor,
    card: { issuerId: string; pan: Pan; expMonth: number; expYear: number; cardholderName?: string },
  ): Promise<{ cardRef: string; created: boolean }>;
}
