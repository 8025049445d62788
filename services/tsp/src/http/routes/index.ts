import type { Router } from 'express';
import type { ServiceContext } from '../../context';
import type { ApiServices } from '../services';
import { auditRoutes } from './audit.routes';
import { identityRoutes } from './identity.routes';
import { issuerRoutes } from './issuer.routes';
import { paymentsRoutes } from './payments.routes';
import { pushRoutes } from './push.routes';
import { riskRoutes } from './risk.routes';
import { tokensRoutes } from './tokens.routes';
import { vaultRoutes } from './vault.routes';
import { webhooksRoutes } from './webhooks.routes';

/** Routers of every area, mounted after authentication and idempotency. */
export function featureRouters(services: ApiServices, ctx: ServiceContext): Router[] {
  return [
    auditRoutes(services),
    vaultRoutes(services, ctx),
    identityRoutes(services, ctx),
    riskRoutes(services, ctx),
    webhooksRoutes(services, ctx),
    tokensRoutes(services, ctx),
    issuerRoutes(services, ctx),
    paymentsRoutes(services, ctx),
    pushRoutes(services, ctx),
  ];
}
