import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { detokenizationCounter } from '../src/risk/decide';
import { buildFacts, flattenFacts } from '../src/risk/facts';
import { newId } from '../src/risk/ids';
import type { Database } from '../src/store/schema';
import { detokenizeRepository } from '../src/store/detokenize.repository';
import type { LoadResult } from './load';

/** ATCs the floor issues for itself, far above what the bench's cryptograms reach. */
const FLOOR_ATC_BASE = 60_000;

/**
 * The database floor: detokenize's own statements, issued straight at Postgres at the same
 * concurrency, over as many connections as the TSP cluster has, with no HTTP, auth, crypto or
 * rule evaluation around them — in autocommit, the one read (token + card + issuance + the
 * token's velocity counts), then one statement storing a risk decision, counting the velocity,
 * consuming the ATC and writing the audit entry (store/detokenize.repository.ts). Each request consumes an
 * issuance of its own (issued in bulk beforehand, not measured), so every one writes the same
 * rows a real detokenization writes.
 */
export async function measurePgFloor(
  url: string,
  tokens: Array<{ tokenRef: string; tokenPan: string }>,
  concurrency: number,
  seconds: number,
  connections: number,
): Promise<LoadResult> {
  const pool = new pg.Pool({ connectionString: url, max: connections });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  // Enough unused issuances for 4,000/s over the run, spread over the tokens.
  const perToken = Math.max(1, Math.ceil((4_000 * seconds) / tokens.length));
  await sql`
    insert into cryptogram_issuances (token_ref, atc, amount, currency, merchant_id, channel, transaction_type, unpredictable_number, expires_at)
    select t, ${FLOOR_ATC_BASE}::int + k, 1999, 'CNY', '898310048160001', 'nfc', 'purchase', null, now() + interval '1 hour'
    from unnest(${tokens.map((t) => t.tokenRef)}::text[]) as t, generate_series(1, ${perToken}::int) as k
    on conflict do nothing`.execute(db);
  const now = new Date();
  const signals = flattenFacts(
    buildFacts('detokenization', { tokenRef: tokens[0]!.tokenRef }, { transaction: { amount: 1999, currency: 'CNY', merchantId: '898310048160001', channel: 'nfc' } }, { velocity: new Map(), card: null, device: null }, now),
  );
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const deadline = Date.now() + seconds * 1000;
  const worker = async () => {
    while (Date.now() < deadline) {
      const i = next++;
      const token = tokens[i % tokens.length]!;
      const atc = FLOOR_ATC_BASE + 1 + (Math.floor(i / tokens.length) % perToken);
      const start = performance.now();
      try {
        // The path's two statements in autocommit, as named prepared statements on the pool.
        const read = await detokenizeRepository.read({ pool }, token.tokenPan, atc, detokenizationCounter(new Date()));
        if (!read) throw new Error('floor: token not found');
        const record = {
          decisionId: newId('dec'),
          kind: 'detokenization' as const,
          outcome: 'approve' as const,
          reasonCodes: [],
          firedRules: [],
          ruleSetVersion: 1,
          score: 0,
          signals,
          tokenRef: token.tokenRef,
          cardRef: read.row.card_ref,
          clientId: 'cli_benchfloor',
          createdAt: new Date(),
        };
        const audit = (outcome: 'success' | 'denied') => ({
          actor: { type: 'client' as const, clientId: 'cli_benchfloor' },
          action: 'detokenize',
          subject: { type: 'token', id: token.tokenRef },
          outcome,
          details: { floor: true, atc },
        });
        const written = await detokenizeRepository.grant({ pool }, read.seen, { record, effects: {} }, { tokenRef: token.tokenRef, atc }, audit('success'), audit('denied'));
        // A concurrent floor call on the same token counted first: read and write again, as detokenize does.
        if (!written.counted) continue;
        const consumed = written.consumed;
        if (!consumed) {
          if (errors === 0) process.stderr.write('\nfloor: first error: an issuance already consumed\n');
          errors += 1;
        }
      } catch (err) {
        if (errors === 0) process.stderr.write(`\nfloor: first error: ${(err as Error).message}\n`);
        errors += 1;
      }
      latencies.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await db.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0) * 10) / 10;
  return {
    name: `floor: detokenize SQL via pg @${concurrency} (${connections} connections)`,
    connections: concurrency,
    durationSeconds: seconds,
    requests: latencies.length,
    rps: Math.round(latencies.length / seconds),
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    errors,
    non2xx: 0,
  };
}
