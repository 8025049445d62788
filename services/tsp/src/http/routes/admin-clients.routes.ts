import { Router } from 'express';
import type { ApiServices } from '../services';
import type { Client, CreateClientRequest } from '../../domain/identity/clients';
import { adminContext, pageQuery } from './admin-context';

/** `/v1/admin/clients…`: register, read, suspend, resume clients and rotate their secrets. */
export function adminClientsRoutes(services: ApiServices): Router {
  const router = Router();
  const clients = services.identity.clients;

  router.get('/v1/admin/clients', async (req, res) => {
    const query = req.query as Record<string, unknown>;
    res.json(
      await clients.list({
        ...pageQuery(query),
        ...(typeof query.role === 'string' ? { role: query.role as Client['role'] } : {}),
        ...(typeof query.status === 'string' ? { status: query.status as Client['status'] } : {}),
      }),
    );
  });

  router.post('/v1/admin/clients', async (req, res) => {
    const result = await clients.create(adminContext(res), req.body as CreateClientRequest);
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json(result);
  });

  router.get('/v1/admin/clients/:clientId', async (req, res) => {
    res.json(await clients.get(req.params.clientId));
  });

  router.post('/v1/admin/clients/:clientId/suspend', async (req, res) => {
    res.json(await clients.suspend(adminContext(res), req.params.clientId, commentOf(req.body)));
  });

  router.post('/v1/admin/clients/:clientId/resume', async (req, res) => {
    res.json(await clients.resume(adminContext(res), req.params.clientId, commentOf(req.body)));
  });

  router.post('/v1/admin/clients/:clientId/secrets', async (req, res) => {
    const ttl = (req.body as { previousSecretTtlSeconds?: number } | undefined)?.previousSecretTtlSeconds;
    const rotation = await clients.rotateSecret(adminContext(res), req.params.clientId, ttl);
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json(rotation);
  });

  return router;
}

function commentOf(body: unknown): string | undefined {
  const comment = (body as { comment?: unknown } | undefined)?.comment;
  return typeof comment === 'string' ? comment : undefined;
}
