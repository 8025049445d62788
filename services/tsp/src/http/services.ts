import type { AuditCheckpoints } from '../audit/audit-checkpoints';
import type { AuditLog } from '../audit/audit-log';
import type { AuditTrail } from '../domain/audit';
import type { IdentityServices } from '../domain/identity';
import type { PaymentServices } from '../domain/payments';
import type { PushServices } from '../domain/push';
import type { TokenServices } from '../domain/tokens';
import type { WebhookServices } from '../domain/webhooks';
import type { RiskServices } from '../risk';
import type { IdempotencyRepository } from '../store/idempotency.repository';
import type { UnitOfWork } from '../store/transaction';
import type { VaultServices } from '../vault';
import type { SandboxConsole } from './routes/console-sandbox';

/**
 * The services the HTTP layer serves, as the composition root (compose.ts) builds them. Declared
 * here, below the composition root, so routes depend on these types and never on compose.ts.
 */
export interface ApiServices {
  readonly uow: UnitOfWork;
  readonly audit: AuditLog;
  /** Signed checkpoints of the audit chain, and verification against them. */
  readonly auditCheckpoints: AuditCheckpoints;
  /** The audit log as operators read it (`/v1/admin/audit…`). */
  readonly auditTrail: AuditTrail;
  readonly vault: VaultServices;
  readonly identity: IdentityServices;
  readonly risk: RiskServices;
  readonly webhooks: WebhookServices;
  readonly tokens: TokenServices;
  readonly payments: PaymentServices;
  readonly push: PushServices;
  /** The Idempotency-Key store (answers sealed by the vault, expired ones purged by a scheduled job). */
  readonly idempotency: IdempotencyRepository;
  /** Sandbox mode only: the console's demo state and webhook sink (see compose.ts `bootstrapSandboxServices`). */
  readonly sandbox: SandboxConsole | undefined;
}
