import { Router } from 'express';
import type { ApiServices } from '../services';
import type { ServiceContext } from '../../context';
import { requirePrincipal, requireScope } from '../auth';
import type { IdempotencyClaim } from '../idempotency';

/** Clients cache the JWKS briefly and re-fetch on an unknown `kid` (contract: CacheControlPublic). */
const JWKS_CACHE_CONTROL = 'public, max-age=300';

/**
 * HTTP routes of the vault area: the TSP's public keys and KEK administration. Thin: each
 * handler calls one vault function and returns its result as the contract's shape.
 */
export function vaultRoutes(services: ApiServices, _ctx: ServiceContext): Router {
  const router = Router();
  const { vault } = services;

  router.get('/.well-known/jwks.json', (_req, res) => {
    res.setHeader('Cache-Control', JWKS_CACHE_CONTROL);
    res.json(vault.keyRing.publicJwks());
  });

  router.get('/v1/admin/keys', requireScope('admin'), async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(await vault.keys.status());
  });

  router.post('/v1/admin/keys/rotate', requireScope('admin'), async (_req, res) => {
    const principal = requirePrincipal(res);
    const claim = res.locals.idempotency as IdempotencyClaim | undefined;
    const rotation = await vault.keys.rotate(
      { type: 'client', clientId: principal.clientId },
      res.locals.requestId as string | undefined,
      claim ? (tx, started) => claim.completeWithin(tx, 202, started) : undefined,
    );
    res.status(202).json(rotation);
  });

  return router;
}
