import type { components } from '@opentsp/api-types';
import type { CardMetadata } from '../../store/card-metadata.repository';
import type { TokenRow } from '../../store/tokens.repository';
import type { Issuer } from '../identity/records';

export type Token = components['schemas']['Token'];
export type TokenCard = components['schemas']['TokenCard'];
export type CardProduct = components['schemas']['CardProduct'];
export type VerificationMethod = components['schemas']['VerificationMethod'];
type LifecycleReason = components['schemas']['LifecycleReason'];

const PRODUCT_TYPES = new Set(['debit', 'credit', 'prepaid']);

/** The card product as the vault keeps it (JSON text of `CardProduct`), or undefined. */
export function parseProduct(stored: string | null | undefined): CardProduct | undefined {
  if (!stored) return undefined;
  try {
    const parsed = JSON.parse(stored) as CardProduct;
    if (parsed && PRODUCT_TYPES.has(parsed.type)) return { type: parsed.type, ...(parsed.name ? { name: parsed.name } : {}) };
  } catch {
    if (PRODUCT_TYPES.has(stored)) return { type: stored as CardProduct['type'] };
  }
  return undefined;
}

/** What the wallet may show of the funding card (never the PAN). */
export function tokenCardOf(card: CardMetadata, issuer: Issuer | undefined): TokenCard {
  const product = parseProduct(card.product);
  return {
    cardRef: card.cardRef,
    panLast4: card.panLast4,
    expiry: { month: card.expMonth, year: card.expYear },
    issuerId: card.issuerId,
    issuerName: issuer?.name ?? card.issuerId,
    ...(product ? { product } : {}),
    ...(card.cardArtAssetId ? { cardArtAssetId: card.cardArtAssetId } : {}),
    ...(issuer?.country ? { country: issuer.country } : {}),
  };
}

/**
 * The contract's `Token` from a stored token, its card and issuer. Shows the token's last 4
 * only (the full token PAN goes out only with payment credentials) and, for an INACTIVE
 * token, the ID&V methods the issuer offered.
 */
export function toTokenView(
  row: TokenRow,
  card: CardMetadata | undefined,
  issuer: Issuer | undefined,
  idvMethods?: readonly VerificationMethod[],
): Token {
  const device = row.device as Token['device'] | null;
  const token: Token = {
    tokenRef: row.token_ref,
    status: row.status,
    trid: row.trid,
    walletAccountId: row.wallet_account_id,
    tokenLast4: row.token_pan.slice(-4),
    tokenExpiry: { month: row.token_exp_month, year: row.token_exp_year },
    par: row.par,
    assuranceMethod: row.assurance_method,
    domain: {
      channels: row.channels as Token['domain']['channels'],
      ...(row.merchant_ids ? { merchantIds: row.merchant_ids } : {}),
      tokenLocation: row.token_location as Token['domain']['tokenLocation'],
    },
    card: card
      ? tokenCardOf(card, issuer)
      : // A card shredded after its tokens were deleted: keep the token readable.
        { cardRef: row.card_ref, panLast4: '0000', expiry: { month: row.token_exp_month, year: row.token_exp_year }, issuerId: row.issuer_id, issuerName: issuer?.name ?? row.issuer_id },
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
  if (row.status_reason && row.status !== 'ACTIVE' && row.status !== 'INACTIVE') token.statusReason = row.status_reason as LifecycleReason;
  if (device) token.device = device;
  if (row.status === 'INACTIVE' && idvMethods) token.verification = { required: true, methods: [...idvMethods] };
  return token;
}
