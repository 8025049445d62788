import { runMain, type RunningProcess } from './environment';
import { runLoad } from './load';
import { accessToken, detokenizeBodies } from './pregenerate';
import { seedBench } from './seeded-bench';

/**
 * `pnpm --filter @opentsp/tsp exec tsx bench/ab.ts <entry A> <entry B> [rounds]`: is build B
 * faster than build A at detokenize? Both run as `serve --workers 2` on ONE database (seeded
 * once), and 5-second detokenize runs at 32 connections alternate A, B, B, A, … so the
 * machine's drift (other jobs on the shared cores) falls on both alike. An entry is a compiled
 * TSP (`dist/main.js`, e.g. of `git archive HEAD` built with scripts/build.mjs) or
 * `src/cli/main.ts`. Both must run against the same schema. Only 127.0.0.1; bounded.
 * `<entry>#N` runs that entry with `--workers N` instead of 2 (cluster sizing: the same build
 * as A and B with different worker counts); `<entry>@<node flags>` (space-separated, after any
 * `#N`) runs it under those node flags, which the workers inherit (e.g. GC sizing).
 */
const [A, B] = [process.argv[2]!, process.argv[3]!];
if (!A || !B) throw new Error('usage: tsx bench/ab.ts <entry A> <entry B> [rounds]');
const ROUNDS = Number(process.argv[4] ?? 4);
const SECONDS = 5;
async function main(): Promise<void> {
  const bench = await seedBench({ name: 'ab', tokens: 5_000 });
  const { services, parties, tokens } = bench;
  try {
    // One fresh cryptogram per request: both builds, 5 s each per round, at up to ~1,000/s.
    const bodies = await detokenizeBodies(services, parties.wallet, tokens, 10_000 * ROUNDS);
    // Chain the seeding's audit entries now: else the TSP's chainer works through that backlog
    // during the measured runs and its hashing is counted as detokenize's cost.
    await services.audit.flush();
    const clusters: Record<string, RunningProcess> = {};
    for (const [name, spec] of [['A', A], ['B', B]] as const) {
      const [build, flags] = spec.split('@');
      const [entry, workers = '2'] = build!.split('#');
      clusters[name] = await bench.start(entry!, ['serve', '--workers', workers], {}, flags ? flags.split(' ') : undefined);
    }
    const tok: Record<string, string> = {};
    for (const name of ['A', 'B']) tok[name] = await accessToken(clusters[name]!.url, parties.acquirer.clientId, parties.acquirer.clientSecret);
    const results: Record<string, number[]> = { A: [], B: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const name of r % 2 ? ['B', 'A'] : ['A', 'B']) {
        const res = await runLoad({ name, url: `${clusters[name]!.url}/v1/detokenize`, method: 'POST', headers: { authorization: `Bearer ${tok[name]}` }, connections: 32, durationSeconds: SECONDS, body: bodies.next });
        results[name]!.push(res.rps);
        process.stdout.write(`round ${r} ${name}: ${res.rps}/s p99 ${res.p99} ms errors ${res.errors + res.non2xx}\n`);
      }
    }
    process.stdout.write(`A ${JSON.stringify(results.A)} B ${JSON.stringify(results.B)}; used ${bodies.used()} of ${bodies.made}\n`);
    // Past that, requests replay used cryptograms: cheap refusals that would count as throughput.
    if (bodies.used() > bodies.made) throw new Error(`cryptograms ran out (${bodies.used()} of ${bodies.made}): the rounds after it measured replays`);
    const mean = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0) / Math.max(1, xs.length);
    const wins = results.B!.filter((b, i) => b > results.A![i]!).length;
    process.stdout.write(`mean A ${mean(results.A!).toFixed(0)}/s, B ${mean(results.B!).toFixed(0)}/s: B/A ${(mean(results.B!) / Math.max(1, mean(results.A!))).toFixed(2)}; B won ${wins} of ${ROUNDS} rounds\n`);
    await bench.closeSeeding();
  } finally {
    await bench.dispose();
  }
}
runMain(main);
