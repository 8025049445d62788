import type { components } from '@opentsp/api-types';
import { cardMetadataRepository, type CardMetadata } from '../../store/card-metadata.repository';
import { tokensRepository } from '../../store/tokens.repository';
import { AccessError, ValidationError } from '../../errors';
import type { Principal } from '../principal';
import { decryptCardData, type CardData } from '../provisioning/card-data';
import { issuerCard } from './access';
import { auditActorOf, causeOf } from './cause';
import type { TokenContext } from './context';
import { recordTokenChange } from './token-events';
import { renewTokenExpiry } from './token-expiry';
import { tokenViews } from './token-reader';
import { parseProduct } from './token-view';

type Card = components['schemas']['Card'];
type CreateCardRequest = components['schemas']['CreateCardRequest'];
type CardUpdateResult = components['schemas']['CardUpdateResult'];

/** The contract's `Card` (never the PAN). */
export function cardView(card: CardMetadata): Card {
  const product = parseProduct(card.product);
  return {
    cardRef: card.cardRef,
    panLast4: card.panLast4,
    expiry: { month: card.expMonth, year: card.expYear },
    issuerId: card.issuerId,
    ...(product ? { product } : {}),
    ...(card.cardArtAssetId ? { cardArtAssetId: card.cardArtAssetId } : {}),
    createdAt: card.createdAt.toISOString(),
    updatedAt: card.updatedAt.toISOString(),
  };
}

/** Decrypts card data sent by an issuer and checks the PAN is in the caller's own BIN ranges. */
async function issuerCardData(ctx: TokenContext, principal: Principal, encryptedCard: string): Promise<CardData> {
  if (!principal.issuerId) throw new AccessError('forbidden', 'Only issuers register cards.');
  const card = await decryptCardData(encryptedCard, await ctx.ports.decryptionKeysFor(encryptedCard), { maxAgeSeconds: ctx.config.jweMaxAgeSeconds });
  const owner = ctx.ports.registry.findIssuerForPan(card.pan.reveal());
  if (!owner) throw new ValidationError('card_bin_unknown', 'No issuer on this TSP serves this card number.');
  if (owner.issuerId !== principal.issuerId) throw new AccessError('cross_tenant_access', 'The card number is in another issuer\'s BIN range.');
  return card;
}

/**
 * `POST /v1/issuer/cards`: stores one of the issuer's cards in the vault. A PAN already in the
 * vault for this issuer answers its existing card (`created: false`, HTTP 200).
 */
export async function registerCard(
  ctx: TokenContext,
  principal: Principal,
  request: CreateCardRequest,
  requestId?: string,
): Promise<{ card: Card; created: boolean }> {
  const data = await issuerCardData(ctx, principal, request.encryptedCard);
  const cause = causeOf(principal, requestId);
  return ctx.uow.transaction(async (tx) => {
    const existing = await ctx.ports.cards.findByFingerprint(tx, data.pan);
    if (existing) {
      if (existing.issuerId !== principal.issuerId) throw new AccessError('cross_tenant_access', 'The card belongs to another issuer.');
      const meta = (await cardMetadataRepository.byRefs(tx, [existing.cardRef])).get(existing.cardRef) as CardMetadata;
      return { card: cardView(meta), created: false };
    }
    const stored = await ctx.ports.cards.storeCard(tx, {
      issuerId: principal.issuerId as string,
      pan: data.pan,
      expMonth: data.expMonth,
      expYear: data.expYear,
      ...(data.cardholderName ? { cardholderName: data.cardholderName } : {}),
      ...(request.product ? { product: JSON.stringify(request.product) } : {}),
      ...(request.cardArtAssetId ? { cardArtAssetId: request.cardArtAssetId } : {}),
    });
    await ctx.audit.append(tx, {
      actor: auditActorOf(cause),
      action: 'card.create',
      subject: { type: 'card', id: stored.cardRef },
      outcome: 'success',
      details: { issuerId: stored.issuerId },
      ...(requestId ? { requestId } : {}),
    });
    const meta = (await cardMetadataRepository.byRefs(tx, [stored.cardRef])).get(stored.cardRef) as CardMetadata;
    const card = cardView(meta);
    if (request.cardholderReference) card.cardholderReference = request.cardholderReference;
    return { card, created: true };
  });
}

/**
 * `POST /v1/issuer/cards/{cardRef}/update` (card reissue): the vault entry gets the new PAN
 * and/or expiry; every token keeps its token PAN and keeps working, now mapped to the new card
 * data, past the old card's expiry too: each live token's expiry is recomputed from the new
 * card's (DESIGN §2 flow 5), and each live token sends `token.updated` (with
 * `previousTokenExpiry` / `tokenExpiry` when its expiry changed), in this one transaction.
 */
export async function updateCard(
  ctx: TokenContext,
  principal: Principal,
  cardRef: string,
  encryptedCard: string,
  requestId?: string,
): Promise<CardUpdateResult> {
  const data = await issuerCardData(ctx, principal, encryptedCard);
  const cause = causeOf(principal, requestId);
  return ctx.uow.transaction(async (tx) => {
    const before = await issuerCard(tx, principal, cardRef);
    await ctx.ports.cards.updateCard(tx, cardRef, { pan: data.pan, expMonth: data.expMonth, expYear: data.expYear });
    const after = (await cardMetadataRepository.byRefs(tx, [cardRef])).get(cardRef) as CardMetadata;
    await ctx.audit.append(tx, {
      actor: auditActorOf(cause),
      action: 'card.update',
      subject: { type: 'card', id: cardRef },
      outcome: 'success',
      details: { panChanged: before.panLast4 !== after.panLast4 || before.par !== after.par, expiryChanged: before.expMonth !== after.expMonth || before.expYear !== after.expYear },
      ...(requestId ? { requestId } : {}),
    });
    const rows = await tokensRepository.allForCard(tx, cardRef);
    const touched = [];
    for (const row of rows) {
      if (row.status === 'DELETED') {
        touched.push(row);
        continue;
      }
      const renewal = await renewTokenExpiry(tx, row, after, ctx.clock());
      const updated = renewal.change ? renewal.row : ((await tokensRepository.touch(tx, row.token_ref)) ?? row);
      const [view] = await tokenViews(tx, ctx.ports, [updated]);
      await recordTokenChange(tx, ctx, {
        row: updated,
        view: view!,
        events: ['token.updated'],
        action: 'token.update',
        cause,
        ...(renewal.change ? { expiryChange: renewal.change, details: { trigger: 'reissue' } } : {}),
      });
      touched.push(updated);
    }
    return {
      cardRef,
      panLast4: after.panLast4,
      expiry: { month: after.expMonth, year: after.expYear },
      tokens: await tokenViews(tx, ctx.ports, touched),
    };
  });
}
