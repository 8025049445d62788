import type { components } from '@opentsp/api-types';
import type { Executor } from '../../store/transaction';
import { randomId } from '../../vault/ids';
import { applyCardVerification, requestDecision, STAND_IN_IDV_METHODS, type IssuerDecision } from '../issuer-gateway';
import { AccessError, TspError, ValidationError } from '../../errors';
import type { Principal } from '../principal';
import { auditActorOf, causeOf, type Cause } from '../tokens/cause';
import type { TokenContext } from '../tokens/context';
import { createToken } from '../tokens/create-token';
import type { RiskDecision, VaultCard } from '../tokens/ports';
import type { Token } from '../tokens/token-view';
import type { RiskSignalsInput, RiskSubject } from '../../risk';
import { decryptCardData, type CardData } from './card-data';
import { channelsFor, checkChannelAllowed } from './token-domain';

export type ProvisionRequest = components['schemas']['ProvisionRequest'];
type Issuer = components['schemas']['Issuer'];

export interface ProvisionOptions {
  requestId?: string;
  /**
   * Runs inside the transaction that creates the token, with its response: the HTTP edge
   * completes the `Idempotency-Key` record here, so a crash can never leave a token without
   * its recorded answer.
   */
  withinCommit?: (tx: Executor, token: Token) => Promise<void>;
}

/**
 * Wallet-initiated provisioning (DESIGN §2 flow 2; MDES digitize, VTS provision):
 * decrypt and check the card → find its issuer by BIN → risk engine → a vaulted card's expiry
 * must match → the issuer's decision endpoint (outside any transaction), with PAN, expiry and
 * CVV2 encrypted to the issuer's `enc` key → create the token ACTIVE (assurance `13`) or
 * INACTIVE with ID&V methods. A decline or a failed card verification creates nothing but
 * still commits the risk decision, its velocity counters and an audit entry of the refusal,
 * so fraud attempts count. A card number alone never gets an ACTIVE token, nor shows the
 * stored expiry: approval needs the issuer's `cvv2Result: match` (card-verification.ts).
 */
export async function provision(ctx: TokenContext, principal: Principal, request: ProvisionRequest, options: ProvisionOptions = {}): Promise<Token> {
  const { ports } = ctx;
  const cause = causeOf(principal, options.requestId);
  const requestor = ports.registry.getClient(principal.clientId);
  if (!principal.trid || !requestor) throw new AccessError('forbidden', 'Only token requestors provision tokens.');
  checkChannelAllowed(request.channel, requestor.allowedChannels);

  const card = await decryptCardData(request.encryptedCard, await ports.decryptionKeysFor(request.encryptedCard), { maxAgeSeconds: ctx.config.jweMaxAgeSeconds });
  const issuer = ports.registry.findIssuerForPan(card.pan.reveal());
  if (!issuer) throw new ValidationError('card_bin_unknown', 'No issuer on this TSP serves this card number.');

  const existing = await ports.cards.findByFingerprint(ctx.uow.executor, card.pan);
  const cardRef = existing?.cardRef ?? randomId('card_');
  const tokenRef = randomId('tok_');
  const input = riskInput(request, principal, issuer, existing, ports.fingerprint(card.pan));

  // 1. Risk, committed on its own so its decision and velocity counters persist either way.
  // A vaulted card sent with another expiry is refused after risk (a risk decline answers
  // first, so a declined guesser learns nothing) and counted as a failed verification.
  const expiryMismatch = existing !== undefined && !sameExpiry(existing, card);
  const risk = await ctx.uow.transaction(async (tx) => {
    const decision = await ports.risk.decide(tx, input);
    if (decision.outcome === 'decline') await auditRefusal(tx, ctx, cause, tokenRef, { stage: 'risk', risk: decision });
    else if (expiryMismatch) await verificationFailed(tx, ctx, cause, tokenRef, input.subject, { stage: 'card_verification', risk: decision });
    return decision;
  });
  if (risk.outcome === 'decline') throw declined(risk.reasonCodes.length ? risk.reasonCodes : ['risk_declined'], risk.decisionId);
  if (expiryMismatch) throw cardVerificationFailed();

  // 2. The issuer's decision: a network call, never inside an open transaction.
  const answer = await requestDecision(
    issuer,
    {
      requestId: options.requestId ?? tokenRef,
      tokenRef,
      cardRef,
      panLast4: card.pan.last4,
      trid: principal.trid,
      walletAccountId: request.walletAccountId,
      device: request.device,
      tokenLocation: request.tokenLocation,
      channel: request.channel,
      risk: {
        outcome: risk.outcome,
        reasonCodes: risk.reasonCodes,
        ...(risk.score !== undefined ? { score: risk.score } : {}),
        ...(risk.decisionId ? { decisionId: risk.decisionId } : {}),
      },
    },
    { signingKey: ports.signingKey(), timeoutMs: ctx.config.issuerTimeoutMs, guard: ctx.outbound },
    { pan: card.pan, expMonth: card.expMonth, expYear: card.expYear, ...(card.cvv2 ? { cvv2: card.cvv2 } : {}) },
  );
  const verified = applyCardVerification(answer);
  const issuerDecision = verified.decision;
  if (verified.outcome === 'verification_failed') {
    await ctx.uow.transaction((tx) => verificationFailed(tx, ctx, cause, tokenRef, input.subject, { stage: 'issuer', risk, issuer: issuerDecision }));
    throw cardVerificationFailed();
  }
  if (issuerDecision.source === 'stand_in') {
    ctx.logger.warn({ issuerId: issuer.issuerId, failure: issuerDecision.failure, standIn: issuerDecision.decision }, 'issuer decision unavailable; stand-in applied');
  }
  if (issuerDecision.decision === 'decline') {
    await ctx.uow.transaction((tx) => auditRefusal(tx, ctx, cause, tokenRef, { stage: 'issuer', risk, issuer: issuerDecision }));
    throw declined([issuerDecision.reasonCode ?? 'issuer_declined'], risk.decisionId);
  }

  // 3. Step-up when the issuer asks for it or the risk engine does (even if the issuer approved).
  const stepUp = issuerDecision.decision === 'step_up' || risk.outcome === 'step_up';
  const idvMethods = stepUp ? (issuerDecision.idvMethods ?? [...STAND_IN_IDV_METHODS]) : undefined;

  // 4. Store the card (deduplicated by fingerprint) and create the token in one transaction.
  return ctx.uow.transaction(async (tx) => {
    const found = await ports.cards.findByFingerprint(tx, card.pan);
    // Stored meanwhile by a concurrent provisioning with another expiry: refuse, show nothing.
    if (found && !sameExpiry(found, card)) throw cardVerificationFailed();
    const vaulted =
      found ??
      (await ports.cards.storeCard(tx, {
        issuerId: issuer.issuerId,
        pan: card.pan,
        expMonth: card.expMonth,
        expYear: card.expYear,
        ...(card.cardholderName ? { cardholderName: card.cardholderName } : {}),
        cardRef,
        knownAbsent: true,
      }));
    const { token } = await createToken(tx, ctx, {
      tokenRef,
      card: vaulted,
      issuer,
      requestor: { trid: principal.trid as string, clientId: principal.clientId },
      walletAccountId: request.walletAccountId,
      device: request.device,
      domain: { channels: channelsFor(request.channel), tokenLocation: request.tokenLocation },
      status: stepUp ? 'INACTIVE' : 'ACTIVE',
      assuranceMethod: stepUp ? '00' : '13',
      cause,
      decision: {
        ...(risk.decisionId ? { riskDecisionId: risk.decisionId } : {}),
        riskOutcome: risk.outcome,
        issuerDecision: issuerDecision.decision,
        decisionSource: issuerDecision.source,
        ...(issuerDecision.reasonCode ? { reasonCode: issuerDecision.reasonCode } : {}),
        ...(idvMethods ? { idvMethods: idvMethods as unknown as Array<Record<string, unknown>> } : {}),
      },
      auditDetails: { ...verificationDetails(issuerDecision), ...(issuerDecision.failure ? { issuerFailure: issuerDecision.failure } : {}) },
      // A card this call inserted has no product or card art yet: its view needs no read back.
      ...(vaulted.newlyStored ? { cardView: { ...vaulted, product: null, cardArtAssetId: null, status: 'active' as const, createdAt: new Date(), updatedAt: new Date() } } : {}),
    });
    if (options.withinCommit) await options.withinCommit(tx, token);
    return token;
  });
}

function sameExpiry(stored: Pick<VaultCard, 'expMonth' | 'expYear'>, sent: Pick<CardData, 'expMonth' | 'expYear'>): boolean {
  return stored.expMonth === sent.expMonth && stored.expYear === sent.expYear;
}

/** One answer for every card-data mismatch (vault or issuer), naming no value: no oracle on which. */
function cardVerificationFailed(): TspError {
  return new ValidationError('card_verification_failed', 'The card data does not verify; check the expiry date and security code.');
}

/** The issuer's check results, for audit and token records (results only, never card data). */
function verificationDetails(decision: IssuerDecision): Record<string, string> {
  return { expiryResult: decision.expiryResult ?? 'not_checked', cvv2Result: decision.cvv2Result ?? 'not_checked' };
}

/** A failed card verification: audited as a refusal and counted by the risk engine (rules `card_verification_failures_*`). */
async function verificationFailed(
  tx: Executor,
  ctx: TokenContext,
  cause: Cause,
  tokenRef: string,
  subject: RiskSubject,
  what: { stage: 'card_verification' | 'issuer'; risk: RiskDecision; issuer?: IssuerDecision },
): Promise<void> {
  await ctx.ports.risk.recordEvent(tx, { kind: 'card_verification_failed', subject });
  await auditRefusal(tx, ctx, cause, tokenRef, { ...what, reasonCode: 'card_verification_failed' });
}

function declined(reasonCodes: string[], decisionId: string | undefined): TspError {
  return new AccessError('provisioning_declined', 'Provisioning of this card was declined.', {
    reasonCodes,
    ...(decisionId ? { decisionId } : {}),
  });
}

/** The refusal's audit entry (no card data: card and token references only). */
async function auditRefusal(
  tx: Executor,
  ctx: TokenContext,
  cause: Cause,
  tokenRef: string,
  what: { stage: 'risk' | 'issuer' | 'card_verification'; risk: RiskDecision; issuer?: IssuerDecision; reasonCode?: string },
): Promise<void> {
  await ctx.audit.append(tx, {
    actor: auditActorOf(cause),
    action: 'token.provision',
    subject: { type: 'token', id: tokenRef },
    outcome: 'denied',
    details: {
      stage: what.stage,
      riskOutcome: what.risk.outcome,
      riskReasonCodes: what.risk.reasonCodes,
      ...(what.risk.decisionId ? { riskDecisionId: what.risk.decisionId } : {}),
      ...(what.reasonCode ? { reasonCode: what.reasonCode } : {}),
      ...(what.issuer
        ? {
            issuerDecision: what.issuer.decision,
            decisionSource: what.issuer.source,
            ...(what.issuer.reasonCode ? { reasonCode: what.issuer.reasonCode } : {}),
            ...verificationDetails(what.issuer),
            ...(what.issuer.failure ? { issuerFailure: what.issuer.failure } : {}),
          }
        : {}),
    },
    ...(cause.requestId ? { requestId: cause.requestId } : {}),
  });
}

/** Signals for the risk engine (DESIGN §6): device, IP, location, card country, card identity, account. */
function riskInput(
  request: ProvisionRequest,
  principal: Principal,
  issuer: Issuer,
  existing: VaultCard | undefined,
  fingerprint: string | undefined,
): { kind: 'provisioning'; subject: RiskSubject; signals: RiskSignalsInput } {
  return {
    kind: 'provisioning',
    subject: {
      clientId: principal.clientId,
      ...(principal.trid ? { trid: principal.trid } : {}),
      walletAccountId: request.walletAccountId,
      ...(existing ? { cardRef: existing.cardRef } : {}),
      ...(fingerprint ? { cardFingerprint: fingerprint } : {}),
    },
    signals: {
      device: request.device,
      ...(request.device.ip ? { network: { ip: request.device.ip } } : {}),
      card: { issuerCountry: issuer.country },
      ...(request.consumer?.accountCreatedAt ? { walletAccount: { createdAt: request.consumer.accountCreatedAt } } : {}),
      ...(request.riskSignals ? { requestor: request.riskSignals } : {}),
    },
  };
}
