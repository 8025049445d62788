// The audit chain's hash, next to the repository that chains each entry as it is inserted.
import { createHmac } from 'node:crypto';
import { canonicalJson } from '../util/canonical-json';

export const GENESIS_HASH = '0'.repeat(64);

/** What the hash of an entry covers: every field but `hash` itself (see AuditEntry in the contract). */
export interface HashedAuditFields {
  id: string;
  seq: number;
  at: string;
  actor: unknown;
  action: string;
  subject: { type: string; id: string };
  outcome: string;
  details: unknown;
  requestId?: string;
  prevHash: string;
}

/**
 * HMAC-SHA256 under the audit chain key over the canonical JSON (sorted keys) of the entry
 * without `hash`. Keyed, because an unkeyed hash can be recomputed by anyone who can write
 * the table: the key comes from the vault's KeyProvider and never enters the database, so a
 * database insider who rewrites an entry cannot produce hashes that verify.
 */
export function auditEntryHash(key: Buffer, fields: HashedAuditFields): string {
  return createHmac('sha256', key).update(canonicalJson(fields)).digest('hex');
}
