import { ensureMonthlyPartitions, partitionsOf, trimPartitions } from '../src/store/partitions';
import { openDatabase } from '../src/store/database';
import { measurePgFloor } from './pg-floor';
import { seedBench } from './seeded-bench';

/**
 * `pnpm --filter @opentsp/tsp exec tsx bench/issuance-partitions.ts [rounds=2]`: the detokenize
 * SQL floor (bench/pg-floor.ts, 20 connections) with the issuances' partitions as the policy
 * keeps them attached (last, this and next month, DEFAULT) against the 14 that migration 0021
 * first attached (this month, 12 ahead, DEFAULT), alternated on one seeded database. Under a
 * generic plan Postgres 15 locks every attached partition on each execution (docs/scaling.md).
 */
const ROUNDS = Number(process.argv[2] ?? 2);

async function main(): Promise<void> {
  const bench = await seedBench({ name: 'issuance-partitions', tokens: 2_000 });
  try {
    await bench.closeSeeding();
    const url = bench.env.DATABASE_URL!;
    const owner = openDatabase({ connectionString: url, poolSize: 1 });
    const attachAhead = () => ensureMonthlyPartitions(owner.db, 'cryptogram_issuances', { monthsAhead: 12 });
    // Back to the policy by the maintenance itself: it drops the empty months ahead.
    const trimAhead = () => trimPartitions(owner.db, 'cryptogram_issuances');
    // Distinct tokens per run: every run consumes issuances of its own.
    const half = Math.floor(bench.tokens.length / (2 * ROUNDS));
    console.log('partitions attached,round,detokenize SQL floor /s,p99 ms');
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, state] of (['policy', 'fourteen'] as const).entries()) {
        if (state === 'fourteen') await attachAhead();
        const attached = (await partitionsOf(owner.db, 'cryptogram_issuances')).length;
        const slice = bench.tokens.slice((2 * round + i) * half, (2 * round + i + 1) * half);
        const result = await measurePgFloor(url, slice, 20, 5, 20);
        console.log(`${attached},${round + 1},${result.rps},${result.p99}`);
        if (state === 'fourteen') await trimAhead();
      }
    }
    await owner.close();
  } finally {
    await bench.dispose();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
