import type { components } from '@opentsp/api-types';
import { tokensRepository, type TokenRow } from '../../store/tokens.repository';
import type { Executor } from '../../store/transaction';
import { verificationRepository, type NewProvisioningRecord } from '../../store/verification.repository';
import { randomId } from '../../vault/ids';
import type { Issuer } from '../identity/records';
import { tokenExpiryFor } from '../provisioning/token-domain';
import type { Cause } from './cause';
import type { TokenContext } from './context';
import type { VaultCard } from './ports';
import { recordTokenChange } from './token-events';
import type { CardMetadata } from '../../store/card-metadata.repository';
import { tokenView } from './token-reader';
import { toTokenView, type Token } from './token-view';

type Channel = components['schemas']['Channel'];
type TokenLocation = components['schemas']['TokenLocation'];
type DeviceSummary = components['schemas']['DeviceSummary'];
type EventType = components['schemas']['WebhookEventType'];
type VerificationMethod = components['schemas']['VerificationMethod'];

/** Everything needed to create one token for a vaulted card. */
export interface CreateTokenInput {
  /** Pre-allocated reference (provisioning sends it to the issuer first); default a new one. */
  tokenRef?: string;
  card: VaultCard;
  issuer: Issuer;
  requestor: { trid: string; clientId: string };
  walletAccountId: string;
  /** Shown in the token: id, type, os, osVersion, model, name (no IP, location or scores). */
  device?: DeviceSummary;
  domain: { channels: Channel[]; tokenLocation: TokenLocation; merchantIds?: string[] };
  status: 'ACTIVE' | 'INACTIVE';
  /** EMVCo assurance method: `00` INACTIVE, `13` issuer approval, `14` push, `11` OTP. */
  assuranceMethod: string;
  cause: Cause;
  /** How it was decided (risk, issuer or stand-in, ID&V offer); default a push (`none`). */
  decision?: Omit<NewProvisioningRecord, 'tokenRef'>;
  /** Events after `token.created` (+ `token.activated` when ACTIVE), e.g. `token.pushed`. */
  extraEvents?: EventType[];
  /** Extra audit details of `token.provision` (never card data). */
  auditDetails?: Record<string, unknown>;
  /**
   * The card as the token shows it, when the caller has it (a push read it; provisioning just
   * stored it): the token's view is then built without reading the card back (one round trip).
   */
  cardView?: CardMetadata;
}

/**
 * Creates a token inside the caller's transaction: allocates a token number in the issuer's
 * token BIN range, inserts the token (expiry = card expiry capped at 3 years), records how it
 * was decided, writes the `token.provision` audit entry and emits `token.created` (and
 * `token.activated` when created ACTIVE) to the requestor and the issuer.
 *
 * @example
 * ```ts
 * // one-tap binding (push receipt): ACTIVE, issuer-asserted
 * const { token } = await services.tokens.createToken(tx, {
 *   card, issuer, requestor: { trid, clientId }, walletAccountId,
 *   domain: { channels: ['nfc', 'in_app'], tokenLocation: '02' },
 *   status: 'ACTIVE', assuranceMethod: '14', cause: { actor: 'token_requestor', clientId },
 * });
 * ```
 */
export async function createToken(tx: Executor, ctx: TokenContext, input: CreateTokenInput): Promise<{ row: TokenRow; token: Token }> {
  const tokenRef = input.tokenRef ?? randomId('tok_');
  const tokenPan = await ctx.ports.allocateTokenNumber(tx, input.issuer.issuerId);
  const device = input.device ? deviceSummary(input.device) : undefined;
  const row = await tokensRepository.insert(tx, {
    tokenRef,
    tokenPan,
    tokenExpiry: tokenExpiryFor(input.card, ctx.clock()),
    cardRef: input.card.cardRef,
    issuerId: input.issuer.issuerId,
    trid: input.requestor.trid,
    requestorClientId: input.requestor.clientId,
    walletAccountId: input.walletAccountId,
    status: input.status,
    assuranceMethod: input.assuranceMethod,
    tokenLocation: input.domain.tokenLocation,
    channels: input.domain.channels,
    ...(input.domain.merchantIds ? { merchantIds: input.domain.merchantIds } : {}),
    ...(device ? { device: device as Record<string, unknown> } : {}),
    par: input.card.par,
    statusActor: input.cause.actor,
  });
  const decision = input.decision ?? { issuerDecision: 'none' as const, decisionSource: 'push' as const };
  await verificationRepository.recordProvisioning(tx, { tokenRef, ...decision });
  const token = input.cardView
    ? toTokenView(row, input.cardView, input.issuer, decision.idvMethods as VerificationMethod[] | undefined)
    : await tokenView(tx, ctx.ports, row);
  await recordTokenChange(tx, ctx, {
    row,
    view: token,
    events: [...(row.status === 'ACTIVE' ? (['token.created', 'token.activated'] as const) : (['token.created'] as const)), ...(input.extraEvents ?? [])],
    action: 'token.provision',
    cause: input.cause,
    details: {
      assuranceMethod: row.assurance_method,
      walletAccountId: row.wallet_account_id,
      channels: row.channels,
      issuerDecision: decision.issuerDecision,
      decisionSource: decision.decisionSource,
      ...(decision.riskDecisionId ? { riskDecisionId: decision.riskDecisionId } : {}),
      ...(decision.reasonCode ? { reasonCode: decision.reasonCode } : {}),
      ...input.auditDetails,
    },
  });
  return { row, token };
}

/** Only what the token shows of a device (contract `DeviceSummary`): no IP, location or scores. */
export function deviceSummary(device: DeviceSummary & Record<string, unknown>): DeviceSummary {
  const { id, type, os, osVersion, model, name } = device;
  return { id, type, ...(os ? { os } : {}), ...(osVersion ? { osVersion } : {}), ...(model ? { model } : {}), ...(name ? { name } : {}) };
}
