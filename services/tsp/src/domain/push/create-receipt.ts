import type { AuditLog } from '../../audit/audit-log';
import type { PushConfig } from '../../config';
import { pushReceiptsRepository } from '../../store/push-receipts.repository';
import type { Executor, UnitOfWork } from '../../store/transaction';
import { randomId } from '../../vault/ids';
import { AccessError, NotFoundError, ValidationError } from '../../errors';
import type { Principal } from '../principal';
import { parseProduct } from '../tokens/token-view';
import { deepLinkFor } from './deep-link';
import type { PushCard, PushPorts } from './ports';
import { pushingIssuer, pushTarget } from './push-target';
import { hashReceipt, newReceiptValue } from './receipt-secret';
import { signPushReceiptClaims, type PushReceiptClaims } from './signed-payload';
import { deviceSummaryOf, type CreatePushReceiptRequest, type PushContext, type PushReceipt } from './types';

export interface PushDependencies {
  readonly uow: UnitOfWork;
  readonly audit: AuditLog;
  readonly ports: PushPorts;
  readonly config: PushConfig;
  /** The TSP's public base URL: `iss` of the signed payload. */
  readonly publicUrl: string;
}

/**
 * `POST /v1/push-receipts`: the bank app's back end, after its own cardholder login, asks to
 * add a card to a wallet (Mastercard MDES Token Connect `pushAccountReceipt`; UnionPay token
 * push from the issuer app). Stores the card first when it comes as `encryptedCard`, then a
 * single-use receipt valid `ttlSeconds` (default 15 minutes), kept only as its SHA-256.
 * Returns the receipt value once, with the deep link and the TSP-signed payload.
 *
 * @throws AccessError `forbidden`, `cross_tenant_access`, `requestor_not_eligible`;
 * NotFoundError `card_not_found`; ValidationError `requestor_not_found`, `validation_failed`
 * (ttl above the configured maximum) and the card-data codes of `encryptedCard`.
 */
export async function createPushReceipt(
  deps: PushDependencies,
  principal: Principal,
  body: CreatePushReceiptRequest,
  context: PushContext,
): Promise<PushReceipt> {
  const issuerId = pushingIssuer(principal);
  const requestor = pushTarget(deps.ports, body.trid, { needsLink: true });
  const ttlSeconds = body.ttlSeconds ?? deps.config.receiptDefaultTtlSeconds;
  if (ttlSeconds > deps.config.receiptMaxTtlSeconds) {
    throw new ValidationError('validation_failed', `ttlSeconds may be at most ${deps.config.receiptMaxTtlSeconds} on this TSP.`, {
      errors: [{ path: '/body/ttlSeconds', message: `must be <= ${deps.config.receiptMaxTtlSeconds}` }],
    });
  }
  const issuerName = deps.ports.registry.getIssuer(issuerId)?.name ?? issuerId;

  return deps.uow.transaction(async (tx) => {
    const card = await cardToPush(tx, deps.ports, principal, body);
    const value = newReceiptValue();
    const receiptHash = hashReceipt(value);
    const device = deviceSummaryOf(body.device);
    const now = Math.floor(Date.now() / 1000);
    const expiresAt = new Date((now + ttlSeconds) * 1000);
    const row = await pushReceiptsRepository.insert(tx, {
      id: randomId('pr_'),
      receiptHash,
      cardRef: card.cardRef,
      issuerId,
      trid: body.trid,
      ...(body.walletAccountId ? { walletAccountId: body.walletAccountId } : {}),
      ...(device ? { device } : {}),
      ...(body.callbackUrl ? { callbackUrl: body.callbackUrl } : {}),
      createdBy: principal.clientId,
      expiresAt,
    });
    const claims: PushReceiptClaims = {
      iss: deps.publicUrl,
      aud: body.trid,
      iat: now,
      exp: now + ttlSeconds,
      receiptId: row.id,
      pushReceiptHash: receiptHash,
      ...(body.walletAccountId ? { walletAccountId: body.walletAccountId } : {}),
      card: cardClaims(card, issuerName),
    };
    const signedPayload = await signPushReceiptClaims(deps.ports.signingKey(), claims);
    const deepLink = deepLinkFor(requestor, {
      pushReceipt: value,
      signedPayload,
      ...(body.callbackUrl ? { callbackUrl: body.callbackUrl } : {}),
    }) as string;
    await deps.audit.append(tx, {
      actor: { type: 'client', clientId: principal.clientId },
      action: 'push_receipt.create',
      subject: { type: 'push_receipt', id: row.id },
      outcome: 'success',
      details: {
        cardRef: card.cardRef,
        issuerId,
        trid: body.trid,
        ...(body.walletAccountId ? { walletAccountId: body.walletAccountId } : {}),
        expiresAt: expiresAt.toISOString(),
        cardSource: body.encryptedCard ? 'encrypted_card' : 'card_ref',
      },
      ...(context.requestId ? { requestId: context.requestId } : {}),
    });
    const receipt: PushReceipt = {
      receiptId: row.id,
      pushReceipt: value,
      cardRef: card.cardRef,
      trid: body.trid,
      ...(body.walletAccountId ? { walletAccountId: body.walletAccountId } : {}),
      expiresAt: expiresAt.toISOString(),
      deepLink,
      signedPayload,
    };
    if (context.withinCommit) await context.withinCommit(tx, receipt);
    return receipt;
  });
}

/**
 * The card a push names: `cardRef` of one of the issuer's active cards, or `encryptedCard`
 * stored as a card of this issuer first. Shared by receipts and direct pushes.
 */
export async function cardToPush(
  tx: Executor,
  ports: PushPorts,
  principal: Principal,
  body: { cardRef?: string; encryptedCard?: string },
): Promise<PushCard> {
  if (body.encryptedCard !== undefined) return ports.storeEncryptedCard(tx, principal, body.encryptedCard);
  const card = body.cardRef ? await ports.findCard(tx, body.cardRef) : undefined;
  if (!card || card.status !== 'active') throw new NotFoundError('card_not_found', 'No card with this reference.');
  if (card.issuerId !== principal.issuerId) throw new AccessError('cross_tenant_access', 'The card belongs to another issuer.');
  return card;
}

function cardClaims(card: PushCard, issuerName: string): PushReceiptClaims['card'] {
  const product = parseProduct(card.product);
  return {
    panLast4: card.panLast4,
    issuerName,
    ...(product ? { product } : {}),
    ...(card.cardArtAssetId ? { cardArtAssetId: card.cardArtAssetId } : {}),
  };
}
