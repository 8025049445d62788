import { cardMetadataRepository, type CardMetadata } from '../../store/card-metadata.repository';
import { tokensRepository, type TokenRow } from '../../store/tokens.repository';
import type { Executor } from '../../store/transaction';
import { AccessError, NotFoundError } from '../../errors';
import type { Principal } from '../principal';

/*
 * Tenancy in the domain (DESIGN §5): a token requestor reaches only tokens of its TRID, an
 * issuer only tokens and cards of its own. Another party's token answers exactly like a
 * missing one (`token_not_found`, `card_not_found`), so references cannot be probed.
 */

const TOKEN_NOT_FOUND = 'No token with this reference.';

/** The requestor's token, optionally locked; `token_not_found` for anyone else's. */
export async function requestorToken(executor: Executor, principal: Principal, tokenRef: string, options: { forUpdate?: boolean } = {}): Promise<TokenRow> {
  if (!principal.trid) throw new AccessError('forbidden', 'Only token requestors act on tokens here.');
  const row = await tokensRepository.findByRef(executor, tokenRef, options);
  if (!row || row.trid !== principal.trid) throw new NotFoundError('token_not_found', TOKEN_NOT_FOUND);
  return row;
}

/** `requestorToken` with the funding card's metadata, read by the same query (token views). */
export async function requestorTokenWithCard(
  executor: Executor,
  principal: Principal,
  tokenRef: string,
): Promise<{ row: TokenRow; card: CardMetadata | undefined }> {
  if (!principal.trid) throw new AccessError('forbidden', 'Only token requestors act on tokens here.');
  const found = await tokensRepository.findByRefWithCard(executor, tokenRef);
  if (!found || found.row.trid !== principal.trid) throw new NotFoundError('token_not_found', TOKEN_NOT_FOUND);
  return found;
}

/**
 * One of the issuer's tokens (console, back office); `token_not_found` for another issuer's,
 * so a reference of another bank's token cannot be confirmed to exist.
 */
export async function issuerToken(executor: Executor, principal: Principal, tokenRef: string): Promise<TokenRow> {
  if (!principal.issuerId) throw new AccessError('forbidden', 'Only issuers read tokens here.');
  const row = await tokensRepository.findByRef(executor, tokenRef);
  if (!row || row.issuer_id !== principal.issuerId) throw new NotFoundError('token_not_found', TOKEN_NOT_FOUND);
  return row;
}

/** The issuer's card, locked for the transaction; `card_not_found` for another issuer's or a deleted one. */
export async function issuerCard(tx: Executor, principal: Principal, cardRef: string): Promise<CardMetadata> {
  if (!principal.issuerId) throw new AccessError('forbidden', 'Only issuers act on cards.');
  const card = await cardMetadataRepository.lock(tx, cardRef);
  if (!card || card.issuerId !== principal.issuerId || card.status !== 'active') {
    throw new NotFoundError('card_not_found', 'No card with this reference.');
  }
  return card;
}

/**
 * Tokens of a card for a card-level operation, locked: every token, or only `tokenRefs`
 * (each must be of this card, else `token_not_found`).
 */
export async function cardTokens(tx: Executor, cardRef: string, tokenRefs?: readonly string[]): Promise<TokenRow[]> {
  if (!tokenRefs) return tokensRepository.allForCard(tx, cardRef);
  const rows = await tokensRepository.findManyForUpdate(tx, tokenRefs);
  if (rows.length !== new Set(tokenRefs).size || rows.some((r) => r.card_ref !== cardRef)) {
    throw new NotFoundError('token_not_found', 'A listed token is not a token of this card.');
  }
  return rows;
}
