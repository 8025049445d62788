import type { KeySet, Key } from '@opentsp/crypto';
import type { Executor } from '../../store/transaction';
import type { RiskEvent, RiskSignalsInput, RiskSubject, RiskVerdict } from '../../risk';
import { CardOfAnotherIssuerError } from '../../vault/vault-error';
import type { Pan, Plaintext } from '../../vault/secrets';
import { crossTenantCardError } from '../identity/tenancy';
import { StateError } from '../../errors';
import type { Issuer, Client, OwnedCardBinRange } from '../identity/records';
import type { EmitWebhookInput } from '../webhooks';

/**
 * What the tokens area needs from the vault, identity, risk and webhooks areas, as interfaces
 * the area owns. The composition root adapts the other areas to them (composition/tokens.ts),
 * so a change of theirs is fixed there and nowhere in this area.
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
  /**
   * Stores a new card (the caller dedupes first with `findByFingerprint`).
   * @throws CardOfAnotherIssuerError (the vault's) when the PAN is vaulted for another issuer.
   */
  storeCard(tx: Executor, input: StoreCardInput): Promise<VaultCard>;
  /** Replaces PAN and expiry of a card (reissue); the card keeps its `cardRef`. */
  updateCard(tx: Executor, cardRef: string, input: { pan: Pan; expMonth: number; expYear: number }): Promise<VaultCard>;
  /** Deletes a card and destroys its key material (crypto-shredding). */
  shredCard(tx: Executor, cardRef: string): Promise<void>;
}

/** The risk engine's verdict on a provisioning (declared by the risk area). */
export type RiskDecision = RiskVerdict;

export interface RiskPort {
  decide(tx: Executor, input: { kind: 'provisioning'; subject: RiskSubject; signals: RiskSignalsInput }): Promise<RiskDecision>;
  /** Records a behaviour event for velocity rules (a failed OTP). */
  recordEvent(tx: Executor, event: RiskEvent): Promise<void>;
}

export interface WebhookPort {
  emit(tx: Executor, event: EmitWebhookInput): Promise<void>;
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

/**
 * The ports with the vault's own refusal translated into the API's tenancy problem
 * (`cross_tenant_access`): the vault knows cards, not tenants and problem codes.
 */
export function translateCardOwnership(ports: TokenPorts): TokenPorts {
  const { cards } = ports;
  return {
    ...ports,
    cards: {
      ...cards,
      storeCard: (tx, input) =>
        cards.storeCard(tx, input).catch((err: unknown) => {
          throw err instanceof CardOfAnotherIssuerError ? crossTenantCardError() : err;
        }),
    },
  };
}
