import type { AuditCheckpoint, AuditCheckpoints, CheckpointVerification } from '../../audit/audit-checkpoints';
import type { AuditLog } from '../../audit/audit-log';
import { listAuditEntries, type AuditFilter } from '../../store/audit-query.repository';
import type { ChainedAuditEntry } from '../../store/audit.repository';
import type { Executor } from '../../store/transaction';

export type { AuditFilter } from '../../store/audit-query.repository';

/** The audit log as operators and auditors read and check it (`/v1/admin/audit…`, admin scope). */
export interface AuditTrail {
  /**
   * Chained entries by `seq` ascending, filtered (`cursor_invalid` for a foreign cursor). Entries
   * appended before the call are chained first. Read from the replica when one is configured and
   * within its lag bound (OPENTSP_READ_MAX_LAG_MS), except when this call chained entries: those
   * are on the leader only yet, and an auditor who just acted expects to see them. Entries that
   * another process chained a moment earlier may show a moment later (within the bound).
   */
  list(filter: AuditFilter, page: { limit: number; cursor?: string }): Promise<{ data: ChainedAuditEntry[]; nextCursor: string | null }>;
  /** Re-computes the chain over a range and checks it against the signed checkpoints. */
  verify(range: { fromSeq?: number; toSeq?: number }): Promise<CheckpointVerification>;
  /** A signed checkpoint of the chain's head now (they are also written on a schedule): DESIGN §4. */
  createCheckpoint(): Promise<AuditCheckpoint>;
}

export function createAuditTrail(deps: { leader: Executor; reads: () => Executor; audit: AuditLog; checkpoints: AuditCheckpoints }): AuditTrail {
  return {
    async list(filter, page) {
      const chained = await deps.audit.flush();
      const { entries, nextCursor } = await listAuditEntries(chained > 0 ? deps.leader : deps.reads(), filter, page);
      return { data: entries, nextCursor };
    },
    verify: (range) => deps.checkpoints.verify(range),
    createCheckpoint: () => deps.checkpoints.create(),
  };
}
