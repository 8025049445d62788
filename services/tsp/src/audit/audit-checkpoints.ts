import { existsSync } from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import { compactKid, CryptoError, signCompact, verifyCompact, type Jwks, type Key } from '@opentsp/crypto';
import type { Logger } from '../observability/logger';
import { auditCheckpointsRepository, type StoredCheckpoint } from '../store/audit-checkpoints.repository';
import { auditRepository } from '../store/audit.repository';
import type { Executor } from '../store/transaction';
import type { AuditLog, AuditVerification } from './audit-log';

export const CHECKPOINT_TYP = 'opentsp-audit-checkpoint+jws';

/**
 * The keys checkpoints are signed and verified with: the TSP key ring (vault/tsp-key-ring.ts)
 * has this shape. Declared here so the audit log, which the vault writes to, does not import the vault.
 */
export interface CheckpointKeys {
  signingKey(): Key;
  publicJwks(): Jwks;
  /** Loads a `kid` another process added since this one last read the keys; true if now known. */
  ensureKid?(kid: string): Promise<boolean>;
}

export interface AuditCheckpoint extends StoredCheckpoint {
  at: string;
}

export interface CheckpointVerification extends AuditVerification {
  /** Signed checkpoints the chain was checked against (database and file). */
  checkpointsChecked: number;
  /**
   * Checkpoints signed by a key not in the TSP key ring (retired since, or never the TSP's):
   * not checked. Skipping them hides nothing: a checkpoint binds every entry before it through
   * the chain, so the newest checkpoints (current keys) cover the whole history.
   */
  checkpointsUnverifiable: number;
}

export interface AuditCheckpointOptions {
  /** Append every checkpoint as a JSON line to this file too (a WORM volume, a shipped log). */
  file?: string;
}

/**
 * Signed checkpoints of the audit chain (DESIGN §4): the head `seq` and `hash`, signed with
 * the TSP signing key (ES256 JWS), kept in `audit_checkpoints` and, when configured, appended
 * to a file outside the database. The keyed chain stops an insider from rewriting entries;
 * checkpoints stop the other move, cutting entries off the end (or truncating the table and
 * starting again): `verify` requires each checkpointed entry to still be there with the
 * checkpointed hash. PCI DSS 4.0 req. 10.3.2 (audit logs protected from modification).
 */
export interface AuditCheckpoints {
  /** Chains pending entries, then signs and stores the head. */
  create(): Promise<AuditCheckpoint>;
  /** The chain, then every checkpoint (database, plus `checkpointFile` when given). */
  verify(options?: { fromSeq?: number; toSeq?: number; checkpointFile?: string }): Promise<CheckpointVerification>;
  /** Writes a checkpoint every `intervalMs`; returns a function that stops it. */
  start(intervalMs: number): () => Promise<void>;
}

export function createAuditCheckpoints(
  db: Executor,
  audit: AuditLog,
  keyRing: CheckpointKeys,
  logger: Logger,
  options: AuditCheckpointOptions = {},
): AuditCheckpoints {
  const create = async (): Promise<AuditCheckpoint> => {
    await audit.flush();
    const head = await auditRepository.head(db);
    const at = new Date().toISOString();
    const jws = await signCompact({ seq: head.seq, hash: head.hash, at }, keyRing.signingKey(), { typ: CHECKPOINT_TYP });
    const checkpoint = { seq: head.seq, hash: head.hash, jws };
    await auditCheckpointsRepository.insert(db, checkpoint);
    if (options.file) await appendFile(options.file, `${JSON.stringify({ ...checkpoint, at })}\n`, { mode: 0o600 });
    return { ...checkpoint, at };
  };

  // The signed payload is the truth; the seq/hash columns beside it are only for reading.
  const signed = async (jws: string): Promise<{ seq: number; hash: string } | 'invalid' | 'unknown_key'> => {
    try {
      const { payload, header } = await verifyCompact(jws, keyRing.publicJwks());
      // Only a checkpoint counts, not another JWS the same key signed (push receipts …).
      if (header.typ !== CHECKPOINT_TYP) return 'invalid';
      const body = JSON.parse(payload.toString('utf8')) as { seq?: unknown; hash?: unknown };
      if (!Number.isSafeInteger(body.seq) || typeof body.hash !== 'string') return 'invalid';
      return { seq: body.seq as number, hash: body.hash };
    } catch (err) {
      if (err instanceof CryptoError && err.code === 'key_not_found') {
        const kid = compactKid(jws);
        if (kid && (await keyRing.ensureKid?.(kid))) return signed(jws);
        return 'unknown_key';
      }
      return 'invalid';
    }
  };

  return {
    create,
    async verify(range = {}) {
      const chain = await audit.verify({ fromSeq: range.fromSeq, toSeq: range.toSeq });
      const result: CheckpointVerification = { ...chain, checkpointsChecked: 0, checkpointsUnverifiable: 0 };
      if (!chain.ok) return result;
      const all = [...(await auditCheckpointsRepository.all(db)), ...(range.checkpointFile ? await readCheckpointFile(range.checkpointFile) : [])];
      // The file mostly repeats the database's checkpoints: each distinct one is checked once.
      const distinct = [...new Map(all.map((c) => [c.jws, c])).values()];
      for (const checkpoint of distinct) {
        const body = await signed(checkpoint.jws);
        if (body === 'unknown_key') {
          result.checkpointsUnverifiable += 1;
          continue;
        }
        if (body === 'invalid') return { ...result, ok: false, reason: 'checkpoint_invalid' };
        if (body.seq === 0) {
          result.checkpointsChecked += 1;
          continue;
        }
        if (body.seq > chain.lastSeq) {
          return { ...result, ok: false, firstBrokenSeq: chain.lastSeq + 1, reason: 'entries_missing' };
        }
        if ((await auditRepository.hashAt(db, body.seq)) !== body.hash) {
          return { ...result, ok: false, firstBrokenSeq: body.seq, reason: 'checkpoint_mismatch' };
        }
        result.checkpointsChecked += 1;
      }
      return result;
    },
    start(intervalMs) {
      let running: Promise<unknown> = Promise.resolve();
      const timer = setInterval(() => {
        running = create().catch((err: unknown) => logger.warn({ err }, 'audit checkpoint failed; will retry'));
      }, intervalMs);
      timer.unref();
      return async () => {
        clearInterval(timer);
        await running;
      };
    },
  };
}

/** Reads a checkpoint file: one JSON object with a `jws` per line (what `create` appends). */
export async function readCheckpointFile(file: string): Promise<StoredCheckpoint[]> {
  if (!existsSync(file)) throw new Error(`checkpoint file ${file} does not exist`);
  const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim());
  return lines.map((line, i) => {
    try {
      const parsed = JSON.parse(line) as Partial<StoredCheckpoint>;
      if (typeof parsed.jws !== 'string') throw new Error('no jws');
      return { seq: Number(parsed.seq), hash: String(parsed.hash), jws: parsed.jws };
    } catch {
      throw new Error(`checkpoint file ${file}, line ${i + 1}: not a checkpoint`);
    }
  });
}
