import type { Logger } from '../observability/logger';
import { containsCardNumber } from '../observability/card-data-scrubber';
import { auditRepository, type AuditVerification, type NewAuditEntry } from '../store/audit.repository';
import type { Executor } from '../store/transaction';

export type { NewAuditEntry, AuditVerification };

/**
 * The audit log as the domain sees it. `append` runs inside the caller's transaction, so an
 * audited change and its entry commit together. A background chainer links entries into the
 * keyed hash chain (HMAC-SHA256 under `chainKey`, from the vault's KeyProvider, never stored in
 * the database) shortly after they commit; `verify` proves the chain. Signed checkpoints
 * (audit-checkpoints.ts) catch what a chain alone cannot: entries cut off its end.
 * Without the key (a tool that only appends, e.g. `opentsp registry` without the vault) the
 * log appends; its entries are chained by the next process that holds the key.
 */
export interface AuditLog {
  append(tx: Executor, entry: NewAuditEntry): Promise<string>;
  /** Chains every committed, unchained entry now (also done in the background). */
  flush(): Promise<number>;
  verify(range?: { fromSeq?: number; toSeq?: number }): Promise<AuditVerification>;
  /** Starts the periodic chainer; returns a function that stops it. */
  startChainer(intervalMs?: number): () => Promise<void>;
}

/** The audit log refused an entry whose details hold a card number (nothing was written). */
export class AuditDataError extends Error {
  override readonly name = 'AuditDataError';
  constructor(readonly action: string) {
    super(`audit details for ${action} contain a card number`);
  }
}

export function createAuditLog(db: Executor, logger: Logger, chainKey?: Buffer): AuditLog {
  const flush = async () => {
    if (!chainKey) return 0;
    let total = 0;
    for (;;) {
      const chained = await auditRepository.chainPending(db, chainKey);
      total += chained;
      if (chained < 5_000) return total;
    }
  };
  return {
    async append(tx, entry) {
      // Card data never enters the audit log (PCI DSS 4.0 req. 3.3, 10.2): refuse the entry.
      // From our own code that is a defect (tests keep it out); from a caller's free text (a
      // comment) the HTTP layer answers 400 validation_failed.
      const details = JSON.stringify(entry.details ?? {});
      if (containsCardNumber(details)) {
        throw new AuditDataError(entry.action);
      }
      return auditRepository.append(tx, entry);
    },
    flush,
    async verify(range) {
      if (!chainKey) throw new Error('verifying the audit chain needs its key (the vault keystore)');
      await flush();
      return auditRepository.verify(db, chainKey, range);
    },
    startChainer(intervalMs = 500) {
      let running: Promise<unknown> = Promise.resolve();
      const timer = setInterval(() => {
        running = flush().catch((err: unknown) => logger.warn({ err }, 'audit chainer failed; will retry'));
      }, intervalMs);
      timer.unref();
      return async () => {
        clearInterval(timer);
        await running;
      };
    },
  };
}
