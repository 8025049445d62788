import type pg from 'pg';
import type { WebhookReceiver } from './crash-receiver';
import type { ChainRecord } from './crash-scenarios';
import { sleep } from './crash-world';

/**
 * What must hold in the database after the crash run (queried directly, not through the API):
 * no duplicate tokens, every token change with its audit entry and its outbox events, every
 * event delivered to every recipient.
 */

/** The events a successful token audit entry must have emitted, in order (token-events.ts). */
function eventsOf(action: string, status: string | undefined): string[] {
  switch (action) {
    case 'token.provision':
      return status === 'ACTIVE' ? ['token.created', 'token.activated'] : ['token.created'];
    case 'token.suspend':
      return ['token.suspended'];
    case 'token.resume':
      return ['token.resumed'];
    case 'token.delete':
      return ['token.deleted'];
    case 'token.activate':
      return ['token.activated'];
    default:
      return [];
  }
}

export interface DuplicateReport {
  /** Tokens beyond the first for one card + wallet account (each chain binds one card once). */
  duplicateTokens: string[];
  /** Chains whose wallet account holds another token than the one the client was answered. */
  answerMismatches: string[];
  /** Push receipts beyond the first for one wallet account (a receipt created twice). */
  duplicateReceipts: string[];
}

export async function findDuplicates(pool: pg.Pool, chains: readonly ChainRecord[]): Promise<DuplicateReport> {
  const groups = await pool.query<{ card_ref: string; wallet_account_id: string; refs: string[] }>(
    `select card_ref, wallet_account_id, array_agg(token_ref order by created_at) as refs
       from tokens group by card_ref, requestor_client_id, wallet_account_id having count(*) > 1`,
  );
  const byAccount = new Map<string, string[]>();
  for (const row of (await pool.query<{ wallet_account_id: string; token_ref: string }>('select wallet_account_id, token_ref from tokens')).rows) {
    byAccount.set(row.wallet_account_id, [...(byAccount.get(row.wallet_account_id) ?? []), row.token_ref]);
  }
  const answerMismatches: string[] = [];
  for (const chain of chains) {
    const stored = byAccount.get(chain.walletAccountId) ?? [];
    if (chain.tokenRef && (stored.length !== 1 || stored[0] !== chain.tokenRef)) {
      answerMismatches.push(`${chain.walletAccountId}: answered ${chain.tokenRef}, stored [${stored.join(', ')}]`);
    }
    if (!chain.tokenRef && stored.length) answerMismatches.push(`${chain.walletAccountId}: no token answered, stored [${stored.join(', ')}]`);
  }
  const receipts = await pool.query<{ wallet_account_id: string; n: number }>(
    `select wallet_account_id, count(*)::int as n from push_receipts group by wallet_account_id having count(*) > 1`,
  );
  return {
    duplicateTokens: groups.rows.map((r) => `${r.card_ref}/${r.wallet_account_id}: ${r.refs.join(', ')}`),
    answerMismatches,
    duplicateReceipts: receipts.rows.map((r) => `${r.wallet_account_id}: ${r.n} receipts`),
  };
}

export interface ChangeReport {
  tokens: number;
  auditedChanges: number;
  events: number;
  /** Tokens whose outbox events do not match their audited changes, or whose status is not the last audited one. */
  mismatches: string[];
}

/** Every audited token change has exactly its outbox events (same order), and the token's status is the last audited status. */
export async function checkTokenChanges(pool: pg.Pool): Promise<ChangeReport> {
  const tokens = await pool.query<{ token_ref: string; status: string }>('select token_ref, status from tokens');
  const audits = await pool.query<{ subject_id: string; action: string; status: string | null }>(
    `select subject_id, action, details->>'status' as status from audit_entries
      where subject_type = 'token' and outcome = 'success' order by pk`,
  );
  const events = await pool.query<{ token_ref: string; type: string; deliveries: number }>(
    `select e.token_ref, e.type, (select count(*)::int from webhook_deliveries d where d.event_pk = e.pk) as deliveries
       from webhook_events e order by e.pk`,
  );
  const auditBy = groupBy(audits.rows, (r) => r.subject_id);
  const eventBy = groupBy(events.rows, (r) => r.token_ref);
  const mismatches: string[] = [];
  let auditedChanges = 0;
  for (const token of tokens.rows) {
    const changes = auditBy.get(token.token_ref) ?? [];
    auditedChanges += changes.length;
    const expected = changes.flatMap((c) => eventsOf(c.action, c.status ?? undefined));
    const emitted = (eventBy.get(token.token_ref) ?? []).map((e) => e.type);
    if (expected.join() !== emitted.join()) mismatches.push(`${token.token_ref}: audited [${expected.join(', ')}] but outbox [${emitted.join(', ')}]`);
    const last = changes.at(-1);
    if (!last || last.status !== token.status) mismatches.push(`${token.token_ref}: status ${token.status}, last audited ${last?.status ?? 'none'}`);
    const undelivered = (eventBy.get(token.token_ref) ?? []).filter((e) => e.deliveries !== 2);
    if (undelivered.length) mismatches.push(`${token.token_ref}: ${undelivered.length} event(s) without one delivery per recipient`);
  }
  for (const tokenRef of eventBy.keys()) if (!tokens.rows.some((t) => t.token_ref === tokenRef)) mismatches.push(`${tokenRef}: events for a token that does not exist`);
  return { tokens: tokens.rowCount ?? 0, auditedChanges, events: events.rowCount ?? 0, mismatches };
}

export interface DeliveryReport {
  events: number;
  deliveries: number;
  /** Deliveries not `delivered` in the database at the end. */
  undelivered: string[];
  /** Event + recipient pairs the receiver never saw. */
  lost: string[];
  /** Attempts the receiver got beyond the first per event + recipient (at-least-once redeliveries). */
  redelivered: number;
  msToAllDelivered: number;
}

/** Waits (up to `timeoutMs`) until every delivery is delivered and the receiver saw each; reports what is missing. */
export async function waitForDeliveries(pool: pg.Pool, receiver: WebhookReceiver, timeoutMs: number): Promise<DeliveryReport> {
  const started = Date.now();
  for (;;) {
    const rows = await pool.query<{ id: string; event_id: string; recipient_type: string; status: string; last_error: string | null }>(
      `select d.id, e.id as event_id, d.recipient_type, d.status, d.last_error
         from webhook_deliveries d join webhook_events e on e.pk = d.event_pk`,
    );
    const seen = receiver.seen();
    const undelivered = rows.rows.filter((r) => r.status !== 'delivered').map((r) => `${r.id} ${r.status} ${r.last_error ?? ''}`.trim());
    const lost = rows.rows
      .map((r) => `${r.recipient_type === 'issuer' ? 'issuer' : 'wallet'}:${r.event_id}`)
      .filter((pair) => !seen.has(pair));
    const done = !undelivered.length && !lost.length;
    if (done || Date.now() - started > timeoutMs) {
      return {
        events: new Set(rows.rows.map((r) => r.event_id)).size,
        deliveries: rows.rowCount ?? 0,
        undelivered,
        lost,
        redelivered: receiver.deliveries.length - seen.size,
        msToAllDelivered: Date.now() - started,
      };
    }
    await sleep(500);
  }
}

function groupBy<T>(rows: readonly T[], keyOf: (row: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const row of rows) map.set(keyOf(row), [...(map.get(keyOf(row)) ?? []), row]);
  return map;
}
