import { Router } from 'express';
import type { ApiServices } from '../services';
import type { CreateIssuerRequest, UpdateIssuerRequest } from '../../domain/identity/issuers';
import { adminContext, pageQuery } from './admin-context';

/** `/v1/admin/issuers…`: register, read and update issuers and their BIN ranges; token BIN range usage. */
export function adminIssuersRoutes(services: ApiServices): Router {
  const router = Router();
  const issuers = services.identity.issuers;

  router.get('/v1/admin/issuers', async (req, res) => {
    res.json(await issuers.list(pageQuery(req.query as Record<string, unknown>)));
  });

  router.post('/v1/admin/issuers', async (req, res) => {
    res.status(201).json(await issuers.create(adminContext(res), req.body as CreateIssuerRequest));
  });

  router.get('/v1/admin/issuers/:issuerId', async (req, res) => {
    res.json(await issuers.get(req.params.issuerId));
  });

  router.get('/v1/admin/issuers/:issuerId/token-bin-usage', async (req, res) => {
    res.json(await services.tokens.tokenBinUsage(req.params.issuerId));
  });

  router.patch('/v1/admin/issuers/:issuerId', async (req, res) => {
    res.json(await issuers.update(adminContext(res), req.params.issuerId, req.body as UpdateIssuerRequest));
  });

  return router;
}
