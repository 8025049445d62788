import type { components } from '@opentsp/api-types';
import { cardMetadataRepository } from '../../store/card-metadata.repository';
import { tokensRepository } from '../../store/tokens.repository';
import { AccessError, NotFoundError } from '../errors';
import type { Principal } from '../principal';
import { requestorToken } from './access';
import type { TokenContext } from './context';
import { tokenView, tokenViews } from './token-reader';
import type { Token } from './token-view';

type TokenList = components['schemas']['TokenList'];
type TokenStatus = components['schemas']['TokenStatus'];

export interface Page {
  limit?: number;
  cursor?: string;
}

const DEFAULT_LIMIT = 50;

/** One of the requestor's tokens (another requestor's answers `token_not_found`). */
export async function getToken(ctx: TokenContext, principal: Principal, tokenRef: string): Promise<Token> {
  const executor = ctx.uow.executor;
  return tokenView(executor, ctx.ports, await requestorToken(executor, principal, tokenRef));
}

/** The requestor's tokens (one wallet account's, usually), across every issuer, oldest first. */
export async function listTokens(
  ctx: TokenContext,
  principal: Principal,
  filter: { walletAccountId?: string; status?: TokenStatus } & Page,
): Promise<TokenList> {
  if (!principal.trid) throw new AccessError('forbidden', 'Only token requestors list tokens here.');
  const executor = ctx.uow.executor;
  const page = await tokensRepository.listForWallet(
    executor,
    { trid: principal.trid, ...(filter.walletAccountId ? { walletAccountId: filter.walletAccountId } : {}), ...(filter.status ? { status: filter.status } : {}) },
    { limit: filter.limit ?? DEFAULT_LIMIT, ...(filter.cursor ? { cursor: filter.cursor } : {}) },
  );
  return { data: await tokenViews(executor, ctx.ports, page.rows), nextCursor: page.nextCursor };
}

/** The issuer's view: tokens of its own cards only (`card_not_found` for another's card). */
export async function listIssuerTokens(
  ctx: TokenContext,
  principal: Principal,
  filter: { cardRef?: string; trid?: string; status?: TokenStatus } & Page,
): Promise<TokenList> {
  if (!principal.issuerId) throw new AccessError('forbidden', 'Only issuers list tokens here.');
  const executor = ctx.uow.executor;
  if (filter.cardRef) {
    const card = (await cardMetadataRepository.byRefs(executor, [filter.cardRef])).get(filter.cardRef);
    // A deleted (shredded) card answers 404 like an unknown one (contract: deleteCardTokens).
    if (!card || card.issuerId !== principal.issuerId || card.status !== 'active') throw new NotFoundError('card_not_found', 'No card with this reference.');
  }
  const page = await tokensRepository.listForIssuer(
    executor,
    {
      issuerId: principal.issuerId,
      ...(filter.cardRef ? { cardRef: filter.cardRef } : {}),
      ...(filter.trid ? { trid: filter.trid } : {}),
      ...(filter.status ? { status: filter.status } : {}),
    },
    { limit: filter.limit ?? DEFAULT_LIMIT, ...(filter.cursor ? { cursor: filter.cursor } : {}) },
  );
  return { data: await tokenViews(executor, ctx.ports, page.rows), nextCursor: page.nextCursor };
}
