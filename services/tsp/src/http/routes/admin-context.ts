import type { Response } from 'express';
import type { AdminContext } from '../../domain/identity';
import { requirePrincipal } from '../auth';

/** The audit actor and request id of an admin call (scope checked by contract security). */
export function adminContext(res: Response): AdminContext {
  const principal = requirePrincipal(res);
  const requestId = res.locals.requestId as string | undefined;
  return { actor: { type: 'client', clientId: principal.clientId }, ...(requestId ? { requestId } : {}) };
}

/** `limit` and `cursor` of a list request (validated by the contract). */
export function pageQuery(query: Record<string, unknown>): { limit?: number; cursor?: string } {
  return {
    ...(query.limit !== undefined ? { limit: Number(query.limit) } : {}),
    ...(typeof query.cursor === 'string' ? { cursor: query.cursor } : {}),
  };
}
