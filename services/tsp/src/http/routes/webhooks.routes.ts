import { Router } from 'express';
import type { ApiServices } from '../services';
import type { ServiceContext } from '../../context';
import type { DeliveryFilter } from '../../domain/webhooks';
import { requirePrincipal, requireScope } from '../auth';

/** HTTP routes of the webhooks area (admin: deliveries, redelivery). Query shapes are checked by the contract validator. */
export function webhooksRoutes(services: ApiServices, _ctx: ServiceContext): Router {
  const router = Router();

  router.get('/v1/admin/webhooks/deliveries', requireScope('admin'), async (req, res) => {
    const q = req.query as Record<string, string | undefined>;
    const filter: DeliveryFilter = {};
    if (q.status) filter.status = q.status as DeliveryFilter['status'];
    if (q.eventType) filter.eventType = q.eventType;
    if (q.clientId) filter.clientId = q.clientId;
    const page = { limit: Number(q.limit ?? 50), ...(q.cursor ? { cursor: q.cursor } : {}) };
    res.json(await services.webhooks.listDeliveries(filter, page));
  });

  router.post('/v1/admin/webhooks/deliveries/:deliveryId/redeliver', requireScope('admin'), async (req, res) => {
    const delivery = await services.webhooks.redeliver(requirePrincipal(res), String(req.params.deliveryId), res.locals.requestId as string);
    res.status(202).json(delivery);
  });

  return router;
}
