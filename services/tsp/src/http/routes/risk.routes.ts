import { Router, type Response } from 'express';
import type { components } from '@opentsp/api-types';
import type { ApiServices } from '../services';
import type { ServiceContext } from '../../context';
import type { PublishContext } from '../../risk/rule-admin';
import { requirePrincipal, requireScope } from '../auth';

type RiskRuleInput = components['schemas']['RiskRuleInput'];
type RiskRuleDryRunRequest = components['schemas']['RiskRuleDryRunRequest'];
type RiskEvaluationPoint = components['schemas']['RiskEvaluationPoint'];

function publisher(res: Response): PublishContext {
  const principal = requirePrincipal(res);
  const requestId = res.locals.requestId as string | undefined;
  return {
    actor: { type: 'client', clientId: principal.clientId },
    createdBy: principal.clientId,
    ...(requestId ? { requestId } : {}),
  };
}

/** Admin API of the risk engine: rules as data and recorded decisions (scope `admin`). */
export function riskRoutes(services: ApiServices, _ctx: ServiceContext): Router {
  const router = Router();
  const { risk } = services;
  const admin = requireScope('admin');

  router.get('/v1/admin/risk/rules', admin, async (req, res) => {
    const q = req.query as Record<string, string | boolean | undefined>;
    const enabled = q.enabled === undefined ? undefined : q.enabled === true || q.enabled === 'true';
    const page = await risk.rules.list(
      { ...(q.appliesTo ? { appliesTo: q.appliesTo as RiskEvaluationPoint } : {}), ...(enabled !== undefined ? { enabled } : {}) },
      { limit: Number(q.limit ?? 50), ...(typeof q.cursor === 'string' ? { cursor: q.cursor } : {}) },
    );
    res.json(page);
  });

  router.post('/v1/admin/risk/rules', admin, async (req, res) => {
    res.status(201).json(await risk.rules.create(req.body as RiskRuleInput, publisher(res)));
  });

  router.get('/v1/admin/risk/rules/:ruleId', admin, async (req, res) => {
    res.json(await risk.rules.get(req.params.ruleId as string));
  });

  router.put('/v1/admin/risk/rules/:ruleId', admin, async (req, res) => {
    res.json(await risk.rules.update(req.params.ruleId as string, req.body as RiskRuleInput, publisher(res)));
  });

  router.post('/v1/admin/risk/rules/:ruleId/disable', admin, async (req, res) => {
    res.json(await risk.rules.disable(req.params.ruleId as string, publisher(res)));
  });

  router.get('/v1/admin/risk/rules/:ruleId/versions', admin, async (req, res) => {
    const q = req.query as Record<string, string | undefined>;
    res.json(await risk.rules.versions(req.params.ruleId as string, { limit: Number(q.limit ?? 50), ...(q.cursor ? { cursor: q.cursor } : {}) }));
  });

  router.post('/v1/admin/risk/rules/:ruleId/dry-run', admin, async (req, res) => {
    res.json(await risk.dryRun(req.params.ruleId as string, (req.body ?? {}) as RiskRuleDryRunRequest));
  });

  router.get('/v1/admin/risk/decisions/:decisionId', admin, async (req, res) => {
    res.json(await risk.getDecision(req.params.decisionId as string));
  });

  return router;
}
