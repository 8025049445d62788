import { Router } from 'express';
import type { components } from '@opentsp/api-types';
import { requireScope } from '../auth';
import type { ApiServices } from '../services';

type AuditVerifyRequest = components['schemas']['AuditVerifyRequest'];

/** The audit log for operators and auditors (admin scope). */
export function auditRoutes(services: ApiServices): Router {
  const router = Router();
  const trail = services.auditTrail;

  router.get('/v1/admin/audit', requireScope('admin'), async (req, res) => {
    const q = req.query as Record<string, string | undefined>;
    res.json(
      await trail.list(
        { tokenRef: q.tokenRef, cardRef: q.cardRef, clientId: q.clientId, action: q.action, since: q.since },
        { limit: Number(q.limit ?? 50), cursor: q.cursor },
      ),
    );
  });

  router.post('/v1/admin/audit/verify', requireScope('admin'), async (req, res) => {
    const body = (req.body ?? {}) as AuditVerifyRequest;
    res.json(await trail.verify({ fromSeq: body.fromSeq, toSeq: body.toSeq }));
  });

  // A signed checkpoint now (they are also written on a schedule): DESIGN §4.
  router.post('/v1/admin/audit/checkpoints', requireScope('admin'), async (_req, res) => {
    res.status(201).json(await trail.createCheckpoint());
  });

  return router;
}
