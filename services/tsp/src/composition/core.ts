import type { AuditLog } from '../audit/audit-log';
import type { IdentityServices } from '../domain/identity';
import type { WebhookServices } from '../domain/webhooks';
import type { RiskServices } from '../risk';
import type { UnitOfWork } from '../store/transaction';
import type { VaultServices } from '../vault';

/**
 * The services the product areas (tokens, payments, push) are wired from. Only the composition
 * root sees them whole: each area receives its ports, built by composition/<area>.ts.
 */
export interface CoreServices {
  readonly uow: UnitOfWork;
  readonly audit: AuditLog;
  readonly vault: VaultServices;
  readonly identity: IdentityServices;
  readonly risk: RiskServices;
  readonly webhooks: WebhookServices;
}
