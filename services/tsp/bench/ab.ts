import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { closeServices, createServices } from '../src/compose';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/observability/logger';
import { createMetrics } from '../src/observability/metrics';
import { openDatabase } from '../src/store/database';
import { migrateToLatest } from '../src/store/migrate';
import { initKeystore } from '../src/vault/configured-key-provider';
import { BENCH_ENV, ENTRY, freePort, prepareDatabase, startProcess, type RunningProcess } from './environment';
import { runLoad } from './load';
import { accessToken, detokenizeBodies } from './pregenerate';
import { seedParties, seedTokens } from './seed';

/**
 * `pnpm --filter @opentsp/tsp exec tsx bench/ab.ts <entry A> <entry B> [rounds]`: is build B
 * faster than build A at detokenize? Both run as `serve --workers 2` on ONE database (seeded
 * once), and 5-second detokenize runs at 32 connections alternate A, B, B, A, … so the
 * machine's drift (other jobs on the shared cores) falls on both alike. An entry is a compiled
 * TSP (`dist/main.js`, e.g. of `git archive HEAD` built with scripts/build.mjs) or
 * `src/cli/main.ts`. Both must run against the same schema. Only 127.0.0.1; bounded.
 */
const [A, B] = [process.argv[2]!, process.argv[3]!];
if (!A || !B) throw new Error('usage: tsx bench/ab.ts <entry A> <entry B> [rounds]');
const ROUNDS = Number(process.argv[4] ?? 4);
const SECONDS = 5;
async function main(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'opentsp-ab-'));
  const keystore = { OPENTSP_KEYSTORE_PATH: path.join(work, 'keystore.jwe'), OPENTSP_KEYSTORE_PASSPHRASE: 'bench-only-passphrase-not-secret' };
  const database = await prepareDatabase();
  const started: RunningProcess[] = [];
  try {
    const env = { ...BENCH_ENV, ...keystore, DATABASE_URL: database.url, OPENTSP_MODE: 'production' };
    await initKeystore(keystore.OPENTSP_KEYSTORE_PATH, keystore.OPENTSP_KEYSTORE_PASSPHRASE);
    const issuerSim = await startProcess(ENTRY.issuerSim, [], { PORT: String(await freePort()) }, '/healthz');
    started.push(issuerSim);
    const handle = openDatabase({ connectionString: database.url, poolSize: 8 });
    await migrateToLatest(handle.db);
    const services = await createServices({ config: loadConfig({ ...env, OPENTSP_MODE: 'sandbox' }), database: handle, logger: createLogger({ level: 'warn' }), metrics: createMetrics() });
    const parties = await seedParties(services, issuerSim.url);
    const tokens = await seedTokens(services, parties, 5_000, () => undefined);
    const bodies = await detokenizeBodies(services, parties.wallet, tokens, 4_000 * ROUNDS);
    // Chain the seeding's audit entries now: else the TSP's chainer works through that backlog
    // during the measured runs and its hashing is counted as detokenize's cost.
    await services.audit.flush();
    const clusters: Record<string, RunningProcess> = {};
    for (const [name, entry] of [['A', A], ['B', B]] as const) {
      clusters[name] = await startProcess(entry, ['serve', '--workers', '2'], { ...env, PORT: String(await freePort()) }, '/readyz');
      started.push(clusters[name]!);
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
    const mean = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0) / Math.max(1, xs.length);
    const wins = results.B!.filter((b, i) => b > results.A![i]!).length;
    process.stdout.write(`mean A ${mean(results.A!).toFixed(0)}/s, B ${mean(results.B!).toFixed(0)}/s: B/A ${(mean(results.B!) / Math.max(1, mean(results.A!))).toFixed(2)}; B won ${wins} of ${ROUNDS} rounds\n`);
    await closeServices(services);
    await handle.close();
  } finally {
    for (const p of started.reverse()) await p.stop();
    await database.close();
    rmSync(work, { recursive: true, force: true });
  }
}
main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
