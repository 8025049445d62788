import { sql } from 'kysely';
import { ValidationError } from '../errors';
import { hashedFields, type AuditRow, type ChainedAuditEntry } from './audit.repository';
import type { Executor } from './transaction';

export interface AuditFilter {
  tokenRef?: string;
  cardRef?: string;
  clientId?: string;
  action?: string;
  since?: string;
}

/**
 * Reading the audit log for operators and auditors: chained entries only, by `seq`
 * ascending. A token's or card's entries are those about it, or that name it in their details.
 */
export async function listAuditEntries(
  executor: Executor,
  filter: AuditFilter,
  page: { limit: number; cursor?: string },
): Promise<{ entries: ChainedAuditEntry[]; nextCursor: string | null }> {
  const afterSeq = page.cursor ? decodeSeqCursor(page.cursor) : 0;
  let query = executor
    .selectFrom('audit_entries')
    .select(['id', 'seq', 'at', 'actor', 'action', 'subject_type', 'subject_id', 'outcome', 'details', 'request_id', 'prev_hash', 'hash'])
    .where('seq', 'is not', null)
    .where('seq', '>', afterSeq);
  if (filter.tokenRef) {
    const ref = filter.tokenRef;
    query = query.where((eb) =>
      eb.or([
        eb.and([eb('subject_type', '=', 'token'), eb('subject_id', '=', ref)]),
        eb(sql`details->>'tokenRef'`, '=', ref),
      ]),
    );
  }
  if (filter.cardRef) {
    const ref = filter.cardRef;
    query = query.where((eb) =>
      eb.or([
        eb.and([eb('subject_type', '=', 'card'), eb('subject_id', '=', ref)]),
        eb(sql`details->>'cardRef'`, '=', ref),
      ]),
    );
  }
  if (filter.clientId) query = query.where(sql`actor->>'clientId'`, '=', filter.clientId);
  if (filter.action) query = query.where('action', '=', filter.action);
  if (filter.since) query = query.where('at', '>=', new Date(filter.since));
  const rows = await query.orderBy('seq').limit(page.limit + 1).execute();
  const hasMore = rows.length > page.limit;
  const pageRows = hasMore ? rows.slice(0, page.limit) : rows;
  const entries = pageRows.map((row) => ({
    ...hashedFields(row as AuditRow, Number(row.seq), row.prev_hash ?? ''),
    hash: row.hash ?? '',
  }));
  const last = entries[entries.length - 1];
  return { entries, nextCursor: hasMore && last ? Buffer.from(`audit:${last.seq}`).toString('base64url') : null };
}

function decodeSeqCursor(cursor: string): number {
  const match = /^audit:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match?.[1]) throw new ValidationError('cursor_invalid', 'The cursor is malformed or belongs to another list.');
  return Number(match[1]);
}
