import { Router } from 'express';
import type { ApiServices } from '../services';
import type { ServiceContext } from '../../context';
import { adminClientsRoutes } from './admin-clients.routes';
import { adminIssuersRoutes } from './admin-issuers.routes';
import { issuerRequestorsRoutes } from './issuer-requestors.routes';
import { oauthRoutes } from './oauth.routes';

/** HTTP routes of the identity area: the token endpoint, the admin registry, eligible wallets. */
export function identityRoutes(services: ApiServices, ctx: ServiceContext): Router {
  const router = Router();
  router.use(oauthRoutes(services, ctx));
  router.use(adminClientsRoutes(services));
  router.use(adminIssuersRoutes(services));
  router.use(issuerRequestorsRoutes(services));
  return router;
}
