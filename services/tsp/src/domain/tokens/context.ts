import type { AuditLog } from '../../audit/audit-log';
import type { TokenExpiryConfig, TokensConfig } from '../../config';
import type { Logger } from '../../observability/logger';
import type { UnitOfWork } from '../../store/transaction';
import type { OutboundGuard } from '../../util/outbound-guard';
import type { TokenPorts } from './ports';

/** What every part of the tokens area works with. */
export interface TokenContext {
  readonly uow: UnitOfWork;
  readonly audit: AuditLog;
  readonly ports: TokenPorts;
  readonly config: TokensConfig;
  readonly logger: Logger;
  /** Checks the issuer's decision and OTP-delivery URLs before each call (SSRF guard). */
  readonly outbound: OutboundGuard;
  /** The clock of token expiry decisions and ID&V windows (ServiceContext.clock; tests move it instead of sleeping). */
  readonly clock: () => Date;
  /** Renewal lead and grace window of token expiry changes. */
  readonly expiry: TokenExpiryConfig;
}
