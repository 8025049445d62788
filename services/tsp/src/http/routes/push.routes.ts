import { Router, type Response } from 'express';
import type { ApiServices } from '../services';
import type { ServiceContext } from '../../context';
import type { PushContext } from '../../domain/push';
import type { CreatePushReceiptRequest, PushTokenRequest } from '../../domain/push/types';
import { requirePrincipal, requireScope } from '../auth';
import type { IdempotencyClaim } from '../idempotency';

/**
 * HTTP routes of the push area: push receipts and direct pushes by issuers. Redemption is
 * `POST /v1/tokens` with `{ pushReceipt }` (tokens.routes.ts dispatches to `services.push.redeem`).
 * Bodies are validated against openapi/tsp.yaml before they get here.
 */
export function pushRoutes(services: ApiServices, _ctx: ServiceContext): Router {
  const router = Router();
  router.post('/v1/push-receipts', requireScope('push:create'), async (req, res) => {
    const receipt = await services.push.createReceipt(requirePrincipal(res), req.body as CreatePushReceiptRequest, contextOf(res, 201));
    // The receipt is a bearer secret: no cache may keep the answer.
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json(receipt);
  });
  router.post('/v1/issuer/tokens', requireScope('issuer:tokens'), async (req, res) => {
    res.status(201).json(await services.push.pushToken(requirePrincipal(res), req.body as PushTokenRequest, contextOf(res, 201)));
  });
  return router;
}

/** The request id, and the Idempotency-Key answer recorded in the operation's own commit (crash safety). */
export function contextOf(res: Response, status: number): PushContext {
  const requestId = res.locals.requestId as string | undefined;
  const claim = res.locals.idempotency as IdempotencyClaim | undefined;
  return {
    ...(requestId ? { requestId } : {}),
    ...(claim ? { withinCommit: (tx, result) => claim.completeWithin(tx, status, result) } : {}),
  };
}
