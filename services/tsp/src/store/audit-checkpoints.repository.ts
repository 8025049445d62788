import type { Executor } from './transaction';

export interface StoredCheckpoint {
  seq: number;
  hash: string;
  jws: string;
}

/** Signed audit checkpoints kept in the database (`audit_checkpoints`, insert-only for the service). */
export const auditCheckpointsRepository = {
  async insert(db: Executor, checkpoint: StoredCheckpoint): Promise<void> {
    await db.insertInto('audit_checkpoints').values(checkpoint).execute();
  },

  /** Every checkpoint, oldest first. */
  async all(db: Executor): Promise<StoredCheckpoint[]> {
    return db.selectFrom('audit_checkpoints').select(['seq', 'hash', 'jws']).orderBy('id').execute();
  },
};
