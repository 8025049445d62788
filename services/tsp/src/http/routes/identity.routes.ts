import { Router, type Response } from 'express';
import type { Services } from '../../compose';
import type { ServiceContext } from '../../context';
import type { AdminContext } from '../../domain/identity';
import { requirePrincipal } from '../auth';
import { adminClientsRoutes } from './admin-clients.routes';
import { adminIssuersRoutes } from './admin-issuers.routes';
import { issuerRequestorsRoutes } from './issuer-requestors.routes';
import { oauthRoutes } from './oauth.routes';

/** HTTP routes of the identity area: the token endpoint, the admin registry, eligible wallets. */
export function identityRoutes(services: Services, ctx: ServiceContext): Router {
  const router = Router();
  router.use(oauthRoutes(services, ctx));
  router.use(adminClientsRoutes(services));
  router.use(adminIssuersRoutes(services));
  router.use(issuerRequestorsRoutes(services));
  return router;
}

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
