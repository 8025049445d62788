import { Router } from 'express';
import type { components } from '@opentsp/api-types';
import type { Services } from '../../compose';
import type { ServiceContext } from '../../context';
import { listAuditEntries } from '../../store/audit-query.repository';
import { requireScope } from '../auth';

type AuditVerifyRequest = components['schemas']['AuditVerifyRequest'];

/** The audit log for operators and auditors (admin scope). */
export function auditRoutes(services: Services, ctx: ServiceContext): Router {
  const router = Router();

  router.get('/v1/admin/audit', requireScope('admin'), async (req, res) => {
    await services.audit.flush();
    const q = req.query as Record<string, string | undefined>;
    const { entries, nextCursor } = await listAuditEntries(
      services.uow.reads, // may be a replica, within OPENTSP_READ_MAX_LAG_MS
      { tokenRef: q.tokenRef, cardRef: q.cardRef, clientId: q.clientId, action: q.action, since: q.since },
      { limit: Number(q.limit ?? 50), cursor: q.cursor },
    );
    res.json({ data: entries, nextCursor });
  });

  router.post('/v1/admin/audit/verify', requireScope('admin'), async (req, res) => {
    const body = (req.body ?? {}) as AuditVerifyRequest;
    res.json(await services.auditCheckpoints.verify({ fromSeq: body.fromSeq, toSeq: body.toSeq }));
  });

  // A signed checkpoint now (they are also written on a schedule): DESIGN §4.
  router.post('/v1/admin/audit/checkpoints', requireScope('admin'), async (_req, res) => {
    res.status(201).json(await services.auditCheckpoints.create());
  });

  return router;
}
