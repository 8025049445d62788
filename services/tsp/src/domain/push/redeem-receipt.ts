import { pushReceiptsRepository, type PushReceiptRow } from '../../store/push-receipts.repository';
import { randomId } from '../../vault/ids';
import { AccessError, NotFoundError, StateError, TspError, type ProblemCode } from '../../errors';
import type { Principal } from '../principal';
import { checkChannelAllowed } from '../provisioning/token-domain';
import { causeOf } from '../tokens/cause';
import type { PushDependencies } from './create-receipt';
import type { PushCard } from './ports';
import { hashReceipt } from './receipt-secret';
import type { RedemptionBudget, RedemptionBudgetError } from './redemption-budget';
import { deviceSummaryOf, pushDomainOf, type DeviceSummary, type PushContext, type RedeemPushReceiptRequest, type Token } from './types';

/** Refusals that spend the requestor's failed-redemption budget. */
const BUDGETED: ReadonlySet<ProblemCode> = new Set<ProblemCode>([
  'receipt_not_found',
  'receipt_expired',
  'receipt_already_redeemed',
  'receipt_wrong_requestor',
  'receipt_wrong_account',
]);

/** A refusal of the redemption, with the receipt's id when one matched (for the audit log). */
class RedemptionRefused extends Error {
  constructor(
    readonly refusal: TspError,
    readonly receiptId: string | undefined,
  ) {
    super(refusal.message);
  }
}

/**
 * One-tap binding (一键绑卡): `POST /v1/tokens` with `{ pushReceipt }` by the token requestor
 * the receipt was issued for. Valid once, before expiry, only for that requestor (and wallet
 * account, when the issuer named one). The token is ACTIVE with assurance method `14`
 * (issuer-asserted: the cardholder logged in to the bank app), without card entry or OTP;
 * the risk engine is still consulted (`push_redemption`).
 *
 * @throws NotFoundError `receipt_not_found`; GoneError-like `receipt_expired` (410);
 * StateError `receipt_already_redeemed`; AccessError `receipt_wrong_requestor`,
 * `receipt_wrong_account`, `provisioning_declined`, `forbidden`; `rate_limited` (429) once the
 * wallet account's or the device's failed-redemption budget is spent.
 */
export async function redeemPushReceipt(
  deps: PushDependencies & { budget: RedemptionBudget },
  principal: Principal,
  body: RedeemPushReceiptRequest,
  context: PushContext,
): Promise<Token> {
  if ((principal.role !== 'wallet' && principal.role !== 'cof_merchant') || !principal.trid) {
    throw new AccessError('forbidden', 'Only token requestors redeem push receipts.');
  }
  const trid = principal.trid;
  const budgetSubject = { trid, walletAccountId: body.walletAccountId, ...(body.device?.id ? { deviceId: body.device.id } : {}) };
  await deps.budget.check(deps.uow.executor, budgetSubject);
  const receiptHash = hashReceipt(body.pushReceipt);
  try {
    const { receipt, card } = await checkReceipt(deps, trid, receiptHash, body);
    const refuse = (error: TspError): RedemptionRefused => new RedemptionRefused(error, receipt.id);
    const device = deviceSummaryOf(body.device) ?? (receipt.device as DeviceSummary | null) ?? undefined;
    const { channel, tokenLocation } = pushDomainOf({ ...body, ...(device ? { device } : {}) });
    checkChannelAllowed(channel, deps.ports.registry.getRequestorByTrid(trid)?.allowedChannels);
    const tokenRef = randomId('tok_');
    // One transaction: the risk decision, the claim and the token (one commit instead of two).
    // A refusal inside it is returned, not thrown, so the decision still commits and stays on
    // record (as in provisioning); it is thrown once the transaction is done.
    const outcome = await deps.uow.transaction(async (tx): Promise<{ refused: RedemptionRefused } | { token: Token }> => {
      const decision = await deps.ports.decideRisk(tx, {
        subject: { trid, walletAccountId: body.walletAccountId, cardRef: card.cardRef, issuerId: card.issuerId, par: card.par, ...(device ? { deviceId: device.id } : {}) },
        signals: {
          ...(body.device ? { device: body.device } : {}),
          ...(body.riskSignals ? { riskSignals: body.riskSignals } : {}),
          channel,
          tokenLocation,
          receiptAgeSeconds: Math.floor((Date.now() - receipt.created_at.getTime()) / 1000),
        },
      });
      if (decision.outcome !== 'approve') {
        // No ID&V path exists for a push (the point is no card entry, no OTP): a risk step-up
        // cannot be satisfied here, so it refuses like a decline; the bank can push again.
        return {
          refused: refuse(
            new AccessError('provisioning_declined', 'The push receipt cannot be redeemed for this wallet now.', {
              reasonCodes: decision.reasonCodes.length ? decision.reasonCodes : ['risk_declined'],
              ...(decision.decisionId ? { decisionId: decision.decisionId } : {}),
            }),
          ),
        };
      }
      // The atomic claim decides between concurrent redemptions; the checks above only explain.
      if (!(await pushReceiptsRepository.claim(tx, receipt.id, tokenRef))) {
        const current = await pushReceiptsRepository.findByHash(tx, receiptHash);
        return { refused: refuse(current?.redeemed_at ? alreadyRedeemed() : expired()) };
      }
      const token = await deps.ports.createToken(tx, {
        tokenRef,
        card,
        requestor: { clientId: principal.clientId, trid },
        walletAccountId: body.walletAccountId,
        ...(device ? { device } : {}),
        channel,
        tokenLocation,
        cause: causeOf(principal, context.requestId),
        risk: decision,
        details: { receiptId: receipt.id },
      });
      await deps.audit.append(tx, auditOfRedemption(principal, receipt, token.tokenRef, decision.decisionId, context));
      if (context.withinCommit) await context.withinCommit(tx, token);
      return { token };
    });
    if ('refused' in outcome) throw outcome.refused;
    return outcome.token;
  } catch (err) {
    const refusal = err instanceof RedemptionRefused ? err.refusal : err instanceof TspError ? err : undefined;
    if (!refusal) throw err;
    const receiptId = err instanceof RedemptionRefused ? err.receiptId : undefined;
    // Count first, answer second: guesses sent at once all pass the check at the top, so the
    // answer of each is decided by its own place in the count. Past the budget the caller
    // learns nothing about its guess, only 429.
    let overBudget: RedemptionBudgetError | undefined;
    await deps.uow.transaction(async (tx) => {
      if (BUDGETED.has(refusal.code)) overBudget = await deps.budget.recordFailure(tx, budgetSubject);
      // Never the receipt value (a bearer secret) in the audit log: the receipt id, or nothing.
      await deps.audit.append(tx, {
        actor: { type: 'client', clientId: principal.clientId },
        action: 'push_receipt.redeem',
        subject: { type: 'push_receipt', id: receiptId ?? 'unknown' },
        outcome: 'denied',
        details: { code: refusal.code, trid, walletAccountId: body.walletAccountId, ...refusal.extensions, ...(overBudget ? { answered: 'rate_limited' } : {}) },
        ...(context.requestId ? { requestId: context.requestId } : {}),
      });
    });
    throw overBudget ?? refusal;
  }
}

/** The receipt and its card, or the refusal that explains why it cannot be redeemed by this caller. */
async function checkReceipt(
  deps: PushDependencies,
  trid: string,
  receiptHash: string,
  body: RedeemPushReceiptRequest,
): Promise<{ receipt: PushReceiptRow; card: PushCard }> {
  const executor = deps.uow.executor;
  const receipt = await pushReceiptsRepository.findByHash(executor, receiptHash);
  if (!receipt) throw new RedemptionRefused(new NotFoundError('receipt_not_found', 'No push receipt matches.'), undefined);
  const refuse = (error: TspError): RedemptionRefused => new RedemptionRefused(error, receipt.id);
  if (receipt.trid !== trid) {
    throw refuse(new AccessError('receipt_wrong_requestor', 'The push receipt was issued for another token requestor.'));
  }
  if (receipt.wallet_account_id && receipt.wallet_account_id !== body.walletAccountId) {
    throw refuse(new AccessError('receipt_wrong_account', 'The push receipt names another wallet account.'));
  }
  if (receipt.redeemed_at) throw refuse(alreadyRedeemed());
  if (receipt.expires_at.getTime() <= Date.now()) throw refuse(expired());
  const card = await deps.ports.findCard(executor, receipt.card_ref);
  // The card was deleted (lost / stolen) after the receipt was made: nothing left to bind.
  if (!card || card.status !== 'active') throw refuse(expired('The card of this push receipt is no longer available.'));
  return { receipt, card };
}

function auditOfRedemption(principal: Principal, receipt: PushReceiptRow, tokenRef: string, decisionId: string | undefined, context: PushContext) {
  return {
    actor: { type: 'client' as const, clientId: principal.clientId },
    action: 'push_receipt.redeem',
    subject: { type: 'push_receipt', id: receipt.id },
    outcome: 'success' as const,
    details: { tokenRef, cardRef: receipt.card_ref, issuerId: receipt.issuer_id, trid: receipt.trid, ...(decisionId ? { decisionId } : {}) },
    ...(context.requestId ? { requestId: context.requestId } : {}),
  };
}

function alreadyRedeemed(): TspError {
  return new StateError('receipt_already_redeemed', 'The push receipt was already redeemed.');
}

function expired(message = 'The push receipt expired; ask the bank app for a new one.'): TspError {
  return new StateError('receipt_expired', message);
}
