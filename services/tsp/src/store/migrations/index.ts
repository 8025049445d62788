import type { Migration } from 'kysely';
import * as foundation from './0001-foundation';
import * as audit from './0002-audit';
import * as vault from './0003-vault';
import * as identity from './0004-identity';
import * as risk from './0005-risk';
import * as webhooks from './0006-webhooks';
import * as tokens from './0007-tokens';
import * as verification from './0008-verification';
import * as payments from './0009-payments';
import * as push from './0010-push';
import * as tokenConsole from './0011-token-console';
import * as verificationLimits from './0013-verification-limits';
import * as auditInsider from './0015-audit-insider';
import * as tokenExpiryRenewal from './0017-token-expiry-renewal';
import * as partitionByMonth from './0021-partition-by-month';

/**
 * Every migration, in order. Listed here rather than read from the folder so the bundle,
 * tsx and jest all see the same set; names sort in application order.
 */
export const migrations: Record<string, Migration> = {
  '0001-foundation': foundation,
  '0002-audit': audit,
  '0003-vault': vault,
  '0004-identity': identity,
  '0005-risk': risk,
  '0006-webhooks': webhooks,
  '0007-tokens': tokens,
  '0008-verification': verification,
  '0009-payments': payments,
  '0010-push': push,
  '0011-token-console': tokenConsole,
  '0013-verification-limits': verificationLimits,
  '0015-audit-insider': auditInsider,
  '0017-token-expiry-renewal': tokenExpiryRenewal,
  '0021-partition-by-month': partitionByMonth,
};
