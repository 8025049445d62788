import { createHash } from 'node:crypto';
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

/** SHA-256 over the canonical JSON (sorted keys) of the entry without `hash`. */
export function auditEntryHash(fields: HashedAuditFields): string {
  return createHash('sha256').update(canonicalJson(fields)).digest('hex');
}
