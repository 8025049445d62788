import type { AuditLog } from '../../audit/audit-log';
import { clockOf, type ServiceContext } from '../../context';
import type { Principal } from '../principal';
import type { UnitOfWork } from '../../store/transaction';
import { createPushReceipt, type PushDependencies } from './create-receipt';
import { pushToken } from './direct-push';
import { pushCards } from './push-card';
import type { PushAreaPorts } from './ports';
import { redeemPushReceipt } from './redeem-receipt';
import { RedemptionBudget } from './redemption-budget';
import type { CreatePushReceiptRequest, PushContext, PushReceipt, PushTokenRequest, RedeemPushReceiptRequest, Token } from './types';

export type { PushContext } from './types';
export { RedemptionBudgetError } from './redemption-budget';
export { PUSH_RECEIPT_TYP, type PushReceiptClaims } from './signed-payload';

/**
 * What the push area provides (DESIGN §2 flow 4: token push and one-tap binding).
 *
 * @example
 * ```ts
 * // tokens.routes.ts, POST /v1/tokens: a body with `pushReceipt` is a redemption
 * if ('pushReceipt' in body) return res.status(201).json(await services.push.redeem(principal, body, { requestId }));
 * ```
 */
export interface PushServices {
  /** `POST /v1/push-receipts` (issuer, scope `push:create`). */
  createReceipt(principal: Principal, body: CreatePushReceiptRequest, context: PushContext): Promise<PushReceipt>;
  /** `POST /v1/tokens` with `{ pushReceipt }` (token requestor, scope `tokens:provision`). */
  redeem(principal: Principal, body: RedeemPushReceiptRequest, context: PushContext): Promise<Token>;
  /** `POST /v1/issuer/tokens` (issuer, scope `issuer:tokens`). */
  pushToken(principal: Principal, body: PushTokenRequest, context: PushContext): Promise<Token>;
}

/** What the push area is built on: the other areas only through `ports`. */
export interface PushAreaDependencies {
  readonly uow: UnitOfWork;
  readonly audit: AuditLog;
  readonly ports: PushAreaPorts;
}

export async function createPushServices(ctx: ServiceContext, area: PushAreaDependencies): Promise<PushServices> {
  const deps: PushDependencies = {
    uow: area.uow,
    audit: area.audit,
    ports: { ...area.ports, ...pushCards(area.ports, area.audit, { jweMaxAgeSeconds: ctx.config.tokens.jweMaxAgeSeconds }) },
    config: ctx.config.push,
    publicUrl: ctx.config.publicUrl,
  };
  const budget = new RedemptionBudget(ctx.config.push, clockOf(ctx));
  return {
    createReceipt: (principal, body, context) => createPushReceipt(deps, principal, body, context),
    redeem: (principal, body, context) => redeemPushReceipt({ ...deps, budget }, principal, body, context),
    pushToken: (principal, body, context) => pushToken(deps, principal, body, context),
  };
}
