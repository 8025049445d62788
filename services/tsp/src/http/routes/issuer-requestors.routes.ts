import { Router } from 'express';
import type { ApiServices } from '../services';
import { requirePrincipal } from '../auth';
import { pageQuery } from './admin-context';

/** `GET /v1/issuer/token-requestors`: the wallets an issuer may push its cards to. */
export function issuerRequestorsRoutes(services: ApiServices): Router {
  const router = Router();
  router.get('/v1/issuer/token-requestors', async (req, res) => {
    const principal = requirePrincipal(res);
    res.json(await services.identity.listEligibleRequestors(principal, pageQuery(req.query as Record<string, unknown>)));
  });
  return router;
}
