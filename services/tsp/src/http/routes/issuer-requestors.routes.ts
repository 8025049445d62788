import { Router } from 'express';
import type { Services } from '../../compose';
import { requirePrincipal } from '../auth';
import { pageQuery } from './identity.routes';

/** `GET /v1/issuer/token-requestors`: the wallets an issuer may push its cards to. */
export function issuerRequestorsRoutes(services: Services): Router {
  const router = Router();
  router.get('/v1/issuer/token-requestors', async (req, res) => {
    const principal = requirePrincipal(res);
    res.json(await services.identity.listEligibleRequestors(principal, pageQuery(req.query as Record<string, unknown>)));
  });
  return router;
}
