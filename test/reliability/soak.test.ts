import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { tokenFor } from '../support/clients';
import { startClusterTsp, type ClusterTsp } from './support/soak-cluster';
import { rssGrowth, sampleRss } from './support/soak-rss';
import { closedLoop, KINDS, openLoop, SoakStats, SoakWorkload, type SoakTargets } from './support/soak-workload';
import { seed, seedActiveTokens, sharedDatabase, type Seeded, type SharedDatabase } from './support/soak-world';

/*
 * Soak (issue #11): a bounded mixed workload — payments (cryptogram + detokenize),
 * provisioning, token push (receipt + redemption), lifecycle (suspend + resume) — at about half
 * of the capacity measured by a short closed-loop ramp just before, against
 * `opentsp serve --workers <cores>` in production mode on 127.0.0.1, sampling the RSS of the
 * primary and every worker. Passes with zero errors and RSS growth after warm-up below 10 % (full
 * form; the quick form only bounds gross leaks at 25 %, see MAX_RSS_GROWTH_PERCENT).
 *
 *   OPENTSP_SOAK_SECONDS   soak length (default 45: the quick form; 600 is the full form)
 *   OPENTSP_SOAK_RATE      operations per second instead of half the measured capacity
 *
 * Summary: .test-artifacts/reliability/soak-summary.json.
 */
const SECONDS = Number(process.env.OPENTSP_SOAK_SECONDS ?? 45);
const FIXED_RATE = process.env.OPENTSP_SOAK_RATE ? Number(process.env.OPENTSP_SOAK_RATE) : undefined;
const WORKERS = availableParallelism();
const RAMP = { warmupSeconds: 4, seconds: 8, concurrency: 16 };
const WARMUP_SECONDS = Math.max(15, Math.round(SECONDS * 0.2));
const SAMPLE_MS = SECONDS > 120 ? 5_000 : 3_000;
// The claim (< 10 %) is judged on the full run. A quick run's 30 s after warm-up can end before
// the workers' first major GC: measured +13 % per worker, +8.8 % in total at 26 requests/s in a
// 45 s run, while 600 s runs level off (+4 %). The quick form keeps a gross-leak bound only.
const FULL = SECONDS >= 300;
const MAX_RSS_GROWTH_PERCENT = FULL ? 10 : 25;
const SUMMARY = path.resolve(__dirname, '..', '..', '.test-artifacts', 'reliability', 'soak-summary.json');

// The soak measures stability, not the limiter: quotas raised as `pnpm bench` does.
const ENV = {
  OPENTSP_PUBLIC_URL: 'https://tsp.soak.test',
  OPENTSP_RATE_LIMIT_HOT: '1000000/1',
  OPENTSP_RATE_LIMIT_DEFAULT: '1000000/1',
  OPENTSP_RATE_LIMIT_GUESSABLE: '10000000/60',
  OPENTSP_RATE_LIMIT_AUTH: '100000/60',
  OPENTSP_RATE_LIMIT_AUTH_IP: '100000/60',
  OPENTSP_ACCESS_TOKEN_TTL_SECONDS: '7200',
  OPENTSP_ISSUER_TIMEOUT_MS: '3000',
};

describe('soak: mixed workload at half capacity', () => {
  let shared: SharedDatabase;
  let cluster: ClusterTsp;
  let world: Seeded;
  let targets: SoakTargets;

  beforeAll(async () => {
    shared = await sharedDatabase();
    cluster = await startClusterTsp({ databaseUrl: shared.db.url, keystore: shared.keystore, workers: WORKERS, env: ENV, label: 'soak cluster', readyTimeoutMs: 120_000 });
    world = await seed(shared, cluster.baseUrl);
    // The wallet gets its webhooks too (issuer-sim's wallet receiver), as a real wallet would.
    const wallet = await world.client({ role: 'wallet', appUri: 'opentspwallet://push', webhookUrl: `${world.sim.url}/webhooks/wallet` });
    // Enough payment tokens that none nears the default per-token velocity decline (60 an hour).
    const payTokens = await seedActiveTokens(world, { clientId: wallet.clientId, trid: wallet.trid! }, Math.max(200, SECONDS * 2), 0);
    // PAN serials: payment tokens from 0, lifecycle tokens from 100,000, ramp 200,000, soak 300,000.
    const lifecycleTokens = await seedActiveTokens(world, { clientId: wallet.clientId, trid: wallet.trid! }, 40, 100_000);
    const [walletToken, issuerToken, acquirerToken] = await Promise.all([
      tokenFor({ url: cluster.baseUrl }, wallet),
      tokenFor({ url: cluster.baseUrl }, world.issuerClient),
      tokenFor({ url: cluster.baseUrl }, world.acquirer),
    ]);
    targets = {
      baseUrl: cluster.baseUrl,
      walletToken,
      walletTrid: wallet.trid!,
      issuerToken,
      acquirerToken,
      cardBin: world.cardBin,
      merchantId: world.merchantId,
      payTokens: payTokens.map((t) => t.tokenRef),
      lifecycleTokens: lifecycleTokens.map((t) => t.tokenRef),
    };
  }, 240_000);

  afterAll(async () => {
    const results = await Promise.allSettled([cluster?.stop()]);
    await world?.close();
    await shared?.close();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }, 60_000);

  it(
    `runs ${SECONDS} s with zero errors and RSS growth after warm-up below ${MAX_RSS_GROWTH_PERCENT} %`,
    async () => {
      const workersAtStart = cluster.workerPids().sort();
      expect(workersAtStart).toHaveLength(WORKERS);

      // Capacity now, on this machine as loaded now: a short closed loop with the same mix,
      // after a few seconds of light load so cold caches and the JIT do not count.
      const rampStats = new SoakStats();
      const ramp = new SoakWorkload(targets, rampStats, 200_000);
      await closedLoop(ramp, 4, RAMP.warmupSeconds);
      const rampedBefore = rampStats.totalRequests();
      const capacityOps = await closedLoop(ramp, RAMP.concurrency, RAMP.seconds);
      const rate = FIXED_RATE ?? Math.max(1, Math.round((capacityOps / 2) * 10) / 10);

      const stats = new SoakStats();
      const workload = new SoakWorkload(targets, stats, 300_000);
      const began = Date.now();
      const rss = sampleRss(cluster, SAMPLE_MS, began);
      const loop = await openLoop(workload, rate, SECONDS, 64);
      const elapsed = (Date.now() - began) / 1000;
      rss.stop();

      // Every event of the run is delivered to the bank (issuer-sim verifies each signature).
      const deliveries = await drainWebhooks(shared, 30_000);
      process.stdout.write(`webhooks after the soak: ${JSON.stringify(deliveries)}\n`);
      const growth = rssGrowth(rss.samples, WARMUP_SECONDS); // throws when the run is too short to judge
      const workersAtEnd = cluster.workerPids().sort();
      const summary = {
        at: new Date().toISOString(),
        seconds: SECONDS,
        warmupSeconds: WARMUP_SECONDS,
        mode: `production, opentsp serve --workers ${WORKERS}`,
        mix: 'per 20 operations: 10 payments (cryptogram + detokenize), 3 provisionings, 3 pushes (receipt + redemption), 4 lifecycles (suspend + resume)',
        capacity: { rampSeconds: RAMP.seconds, concurrency: RAMP.concurrency, operationsPerSecond: round(capacityOps), requestsPerSecond: round((rampStats.totalRequests() - rampedBefore) / RAMP.seconds), errors: rampStats.totalErrors(), requests: rampStats.requests, latencyMs: rampStats.latencySummary() },
        target: { operationsPerSecond: rate, fixed: FIXED_RATE !== undefined },
        achieved: { operations: loop.started, missedSlots: loop.missed, requests: stats.totalRequests(), requestsPerSecond: round(stats.totalRequests() / elapsed), elapsedSeconds: round(elapsed) },
        requests: stats.requests,
        errors: { total: stats.totalErrors(), byKind: stats.errors, samples: [...rampStats.errorSamples, ...stats.errorSamples] },
        latencyMs: stats.latencySummary(),
        maxDetokenizationsPerToken: workload.paymentsPerToken() + ramp.paymentsPerToken(),
        webhooks: deliveries,
        workers: { atStart: workersAtStart, atEnd: workersAtEnd },
        rss: { sampleEverySeconds: SAMPLE_MS / 1000, limitPercent: MAX_RSS_GROWTH_PERCENT, growthPercent: growth.totalPercent, ...growth, samples: rss.samples },
      };
      mkdirSync(path.dirname(SUMMARY), { recursive: true });
      writeFileSync(SUMMARY, `${JSON.stringify(summary, null, 2)}\n`);
      process.stdout.write(
        `soak ${SECONDS} s: capacity ${round(capacityOps)} ops/s, target ${rate} ops/s, ${stats.totalRequests()} requests (${summary.achieved.requestsPerSecond}/s), ` +
          `errors ${stats.totalErrors()}, missed slots ${loop.missed}, RSS ${Math.round(growth.baselineKiB / 1024)} → ${Math.round(growth.finalKiB / 1024)} MiB (${growth.totalPercent} %)\n`,
      );

      expect({ ramp: rampStats.totalErrors(), soak: stats.totalErrors(), samples: summary.errors.samples }).toEqual({ ramp: 0, soak: 0, samples: [] });
      for (const kind of KINDS) expect({ kind, sent: stats.requests[kind] > 0 }).toEqual({ kind, sent: true });
      // Missed slots (the TSP fell behind the open loop: other load on the machine) are reported
      // in the summary, not failed: the soak's claims are errors and memory.
      expect(workersAtEnd).toEqual(workersAtStart); // no worker died and was replaced
      expect({ dead: deliveries.dead, failed: deliveries.failed, pending: deliveries.pending }).toEqual({ dead: 0, failed: 0, pending: 0 });
      expect(growth.totalPercent).toBeLessThan(MAX_RSS_GROWTH_PERCENT);
      for (const p of growth.workersPercent) expect(p).toBeLessThan(MAX_RSS_GROWTH_PERCENT);
    },
    (SECONDS + RAMP.warmupSeconds + RAMP.seconds + 120) * 1000,
  );
});

const round = (n: number) => Math.round(n * 10) / 10;

/** Waits until no webhook delivery is in line; returns the count per status and why the undelivered ones are not. */
async function drainWebhooks(shared: SharedDatabase, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await sql<{ status: string; n: number }>`select status, count(*)::int as n from webhook_deliveries group by status`.execute(shared.db.db);
    const counts = { delivered: 0, pending: 0, failed: 0, dead: 0 };
    for (const r of rows.rows) counts[r.status as keyof typeof counts] = r.n;
    if ((counts.pending === 0 && counts.failed === 0) || Date.now() > deadline) {
      const why = await sql<{ recipient_type: string; last_response_status: number | null; last_error: string | null; n: number }>`
        select recipient_type, last_response_status, last_error, count(*)::int as n from webhook_deliveries
        where status <> 'delivered' group by 1, 2, 3 order by n desc limit 5`.execute(shared.db.db);
      return { ...counts, undelivered: why.rows };
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
