import type { components } from '@opentsp/api-types';
import { cardMetadataRepository } from '../../store/card-metadata.repository';
import { tokensRepository } from '../../store/tokens.repository';
import { AccessError, NotFoundError, ValidationError } from '../../errors';
import type { Principal } from '../principal';
import { issuerToken, requestorTokenWithCard } from './access';
import type { Executor } from '../../store/transaction';
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
  return fromReplicaOrLeader(ctx, async (executor) => {
    const { row, card } = await requestorTokenWithCard(executor, principal, tokenRef);
    return tokenView(executor, ctx.ports, row, new Map(card ? [[card.cardRef, card]] : []));
  });
}

/**
 * A single-item read on the read replica (`uow.reads`), asked again of the leader when the
 * replica does not have it: a token created a moment ago (not replayed there yet) is found,
 * so a wallet reading its new token never gets `token_not_found`.
 */
export async function fromReplicaOrLeader<T>(ctx: TokenContext, read: (executor: Executor) => Promise<T>): Promise<T> {
  const reads = ctx.uow.reads;
  try {
    return await read(reads);
  } catch (err) {
    if (reads === ctx.uow.executor || !(err instanceof NotFoundError)) throw err;
    return read(ctx.uow.executor);
  }
}

/** The requestor's tokens (one wallet account's, usually), across every issuer, oldest first. */
export async function listTokens(
  ctx: TokenContext,
  principal: Principal,
  filter: { walletAccountId?: string; status?: TokenStatus } & Page,
): Promise<TokenList> {
  if (!principal.trid) throw new AccessError('forbidden', 'Only token requestors list tokens here.');
  const executor = ctx.uow.reads; // may be a replica, within OPENTSP_READ_MAX_LAG_MS
  const page = await tokensRepository.listForWallet(
    executor,
    { trid: principal.trid, ...(filter.walletAccountId ? { walletAccountId: filter.walletAccountId } : {}), ...(filter.status ? { status: filter.status } : {}) },
    { limit: filter.limit ?? DEFAULT_LIMIT, ...(filter.cursor ? { cursor: filter.cursor } : {}) },
  );
  return { data: await tokenViews(executor, ctx.ports, page.rows, page.cards), nextCursor: page.nextCursor };
}

/** The issuer's token search (`GET /v1/issuer/tokens`); `panLast4` and `cardExpiry` go together. */
export interface IssuerTokenSearch extends Page {
  cardRef?: string;
  tokenRef?: string;
  trid?: string;
  walletAccountId?: string;
  panLast4?: string;
  /** `MM/YY` as printed on the card. */
  cardExpiry?: string;
  status?: TokenStatus;
}

/** One of the issuer's tokens (`token_not_found` for another issuer's). */
export async function getIssuerToken(ctx: TokenContext, principal: Principal, tokenRef: string): Promise<Token> {
  return fromReplicaOrLeader(ctx, async (executor) => tokenView(executor, ctx.ports, await issuerToken(executor, principal, tokenRef)));
}

/** The funding card's last 4 and expiry, or undefined; one without the other is `validation_failed`. */
function cardFilterOf(search: IssuerTokenSearch): { panLast4: string; expMonth: number; expYear: number } | undefined {
  if (search.panLast4 === undefined && search.cardExpiry === undefined) return undefined;
  const match = /^(0[1-9]|1[0-2])\/([0-9]{2})$/.exec(search.cardExpiry ?? '');
  if (search.panLast4 === undefined || !match || !/^[0-9]{4}$/.test(search.panLast4)) {
    // The contract validated each value's form; what is left is the pair missing one half.
    const missing = search.panLast4 === undefined ? 'panLast4' : 'cardExpiry';
    throw new ValidationError('validation_failed', 'panLast4 and cardExpiry (MM/YY) go together.', {
      errors: [{ path: `/query/${missing}`, message: 'panLast4 and cardExpiry (MM/YY) go together' }],
    });
  }
  // Cards print two-digit years; the vault keeps four (Expiry: 2000-2099).
  return { panLast4: search.panLast4, expMonth: Number(match[1]), expYear: 2000 + Number(match[2]) };
}

/** The issuer's view: tokens of its own cards only (`card_not_found` for another's card). Filters combine with AND. */
export async function listIssuerTokens(ctx: TokenContext, principal: Principal, search: IssuerTokenSearch): Promise<TokenList> {
  if (!principal.issuerId) throw new AccessError('forbidden', 'Only issuers list tokens here.');
  const card = cardFilterOf(search);
  const executor = ctx.uow.reads; // the console's search: may be a replica, within OPENTSP_READ_MAX_LAG_MS
  if (search.cardRef) {
    const found = (await cardMetadataRepository.byRefs(executor, [search.cardRef])).get(search.cardRef);
    // A deleted (shredded) card answers 404 like an unknown one (contract: deleteCardTokens).
    if (!found || found.issuerId !== principal.issuerId || found.status !== 'active') throw new NotFoundError('card_not_found', 'No card with this reference.');
  }
  const page = await tokensRepository.listForIssuer(
    executor,
    {
      issuerId: principal.issuerId,
      ...(search.cardRef ? { cardRef: search.cardRef } : {}),
      ...(search.tokenRef ? { tokenRef: search.tokenRef } : {}),
      ...(search.trid ? { trid: search.trid } : {}),
      ...(search.walletAccountId ? { walletAccountId: search.walletAccountId } : {}),
      ...(card ? { card } : {}),
      ...(search.status ? { status: search.status } : {}),
    },
    { limit: search.limit ?? DEFAULT_LIMIT, ...(search.cursor ? { cursor: search.cursor } : {}) },
  );
  return { data: await tokenViews(executor, ctx.ports, page.rows, page.cards), nextCursor: page.nextCursor };
}
