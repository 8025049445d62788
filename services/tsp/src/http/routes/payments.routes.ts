import { Router } from 'express';
import type { ApiServices } from '../services';
import type { ServiceContext } from '../../context';
import type { CryptogramRequest, DetokenizeRequest } from '../../domain/payments';
import { requirePrincipal, requireScope } from '../auth';
import type { IdempotencyClaim } from '../idempotency';

/**
 * HTTP routes of the payments area: payment credentials for the wallet and detokenization
 * for acquirers. Thin: the contract validator has checked the body; the domain does the rest.
 * Both answers carry card-related data, so they must never be cached (`no-store`).
 */
export function paymentsRoutes(services: ApiServices, _ctx: ServiceContext): Router {
  const router = Router();
  const { payments } = services;

  router.post('/v1/tokens/:tokenRef/cryptograms', requireScope('tokens:cryptogram'), async (req, res) => {
    const principal = requirePrincipal(res);
    const credentials = await payments.createPaymentCredentials(
      principal,
      String(req.params.tokenRef),
      req.body as CryptogramRequest,
      res.locals.requestId as string | undefined,
    );
    res.status(201).set('Cache-Control', 'no-store').json(credentials);
  });

  router.post('/v1/detokenize', requireScope('detokenize'), async (req, res) => {
    const principal = requirePrincipal(res);
    const claim = res.locals.idempotency as IdempotencyClaim | undefined;
    // The answer holds the card: recorded in the ATC's commit, sealed under the card's key.
    const result = await payments.detokenize(
      principal,
      req.body as DetokenizeRequest,
      res.locals.requestId as string | undefined,
      claim ? (tx, response, card) => claim.completeWithin(tx, 200, response, card) : undefined,
    );
    res.status(200).set('Cache-Control', 'no-store').json(result);
  });

  return router;
}
