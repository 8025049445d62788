import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from '../src/store/schema';
import { paymentsRepository } from '../src/store/payments.repository';
import type { LoadResult } from './load';

/**
 * The database floor: detokenize's own statements (the one read of token + card + issuance,
 * then the ATC consumption with its audit entry in a transaction), issued straight at Postgres
 * at the same concurrency, with no HTTP, auth, crypto or risk around them.
 */
export async function measurePgFloor(
  url: string,
  tokens: Array<{ tokenRef: string; tokenPan: string }>,
  concurrency: number,
  seconds: number,
): Promise<LoadResult> {
  const pool = new pg.Pool({ connectionString: url, max: concurrency });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const deadline = Date.now() + seconds * 1000;
  const worker = async () => {
    while (Date.now() < deadline) {
      const token = tokens[next++ % tokens.length]!;
      const start = performance.now();
      try {
        await paymentsRepository.readForDetokenize(db, token.tokenPan, 1);
        await db.transaction().execute((tx) =>
          paymentsRepository.consume(tx, token.tokenRef, 1, {
            actor: { type: 'client', clientId: 'cli_benchfloor' },
            action: 'detokenize',
            subject: { type: 'token', id: token.tokenRef },
            outcome: 'success',
            details: { floor: true },
          }),
        );
      } catch {
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
    name: `floor: detokenize SQL via pg @${concurrency}`,
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
