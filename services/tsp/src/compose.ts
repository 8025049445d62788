import type { Router } from 'express';
import { createAuditLog, type AuditLog } from './audit/audit-log';
import type { ServiceContext, StopFn } from './context';
import { createIdentityServices, type IdentityServices } from './domain/identity';
import { identityRoutes } from './http/routes/identity.routes';
import { riskRoutes } from './http/routes/risk.routes';
import { vaultRoutes } from './http/routes/vault.routes';
import { createRiskServices, type RiskServices } from './risk';
import { unitOfWork, type UnitOfWork } from './store/transaction';
import { createVaultServices, type VaultServices } from './vault';

/**
 * The composition root: builds every area's services once, in dependency order, and the
 * routers that expose them. server.ts and the test harness both use it, so tests run the
 * same wiring as production.
 */
export interface Services {
  readonly uow: UnitOfWork;
  readonly audit: AuditLog;
  readonly vault: VaultServices;
  readonly identity: IdentityServices;
  readonly risk: RiskServices;
}

export async function createServices(ctx: ServiceContext): Promise<Services> {
  const { db } = ctx.database;
  const uow = unitOfWork(db);
  const audit = createAuditLog(db, ctx.logger);
  const vault = await createVaultServices(ctx, audit);
  const identity = await createIdentityServices(ctx, vault, audit);
  const risk = await createRiskServices(ctx, audit);
  return { uow, audit, vault, identity, risk };
}

/** Routers of every area, mounted after authentication and idempotency. */
export function featureRouters(services: Services, ctx: ServiceContext): Router[] {
  return [vaultRoutes(services, ctx), identityRoutes(services, ctx), riskRoutes(services, ctx)];
}

/** Starts background work (audit chainer, key re-wrap, webhook delivery …); returns its stop. */
export function startBackgroundWork(services: Services): StopFn {
  const stops: StopFn[] = [services.audit.startChainer()];
  return async () => {
    await Promise.all(stops.map((stop) => stop()));
  };
}
