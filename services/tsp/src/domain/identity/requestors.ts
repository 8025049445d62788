import type { components } from '@opentsp/api-types';
import { clientsRepository } from '../../store/clients.repository';
import { decodeListCursor, pageOf } from '../../store/pagination';
import type { Executor } from '../../store/transaction';
import { AccessError } from '../../errors';
import type { Principal } from '../principal';
import { clientFromRow, requestorFromClient } from './records';

export type TokenRequestorList = components['schemas']['TokenRequestorList'];

/**
 * `GET /v1/issuer/token-requestors`: the wallets and card-on-file merchants an issuer may push
 * to (every active token requestor), ordered by name, then TRID.
 */
export async function listEligibleRequestors(
  db: Executor,
  principal: Principal,
  query: { limit?: number; cursor?: string },
): Promise<TokenRequestorList> {
  if (principal.role !== 'issuer') throw new AccessError('forbidden', 'Only issuers list the token requestors they may push to.');
  const limit = query.limit ?? 50;
  // Ordered by name, then TRID: `a` and `i` as the list's cursors have always named them.
  const after = decodeListCursor('token-requestors', query.cursor, { a: 'string', i: 'string' });
  const rows = await clientsRepository.requestorPage(db, { ...(after ? { after: { name: after.a, trid: after.i } } : {}), limit: limit + 1 });
  return pageOf(rows, limit, (row) => requestorFromClient(clientFromRow(row)), 'token-requestors', (r) => ({ a: r.name, i: r.trid ?? '' }));
}
