import type { AuditLog } from '../audit/audit-log';
import type { ServiceContext } from '../context';

/** What the risk area provides: the engine that decides provisioning and detokenization. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface RiskServices {}

export async function createRiskServices(_ctx: ServiceContext, _audit: AuditLog): Promise<RiskServices> {
  return {};
}
