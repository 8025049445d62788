import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { closeServices, createServices, type Services } from '../src/compose';
import type { RiskRuleDocument } from '../src/risk/rule-set';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/observability/logger';
import { createMetrics } from '../src/observability/metrics';
import { openDatabase } from '../src/store/database';
import { migrateToLatest } from '../src/store/migrate';
import { initKeystore } from '../src/vault/configured-key-provider';
import { measureCryptoFloor } from './crypto-floor';
import { measureDurableFloor, readPostgresSettings } from './durable-floor';
import { BENCH_ENV, buildCompiledTsp, ENTRY, freePort, prepareDatabase, startProcess, type RunningProcess } from './environment';
import { runLoad, type LoadResult } from './load';
import { measurePgFloor } from './pg-floor';
import { accessToken, collect, detokenizeBodies, provisioningBodies, TRANSACTION } from './pregenerate';
import { runProfile } from './profile';
import { ProgressBar } from './progress';
import { machineDescription, markdownTable, writeReport, type BenchReport } from './report';
import { measureRiskEngine } from './risk-engine.bench';
import { seedParties, seedTokens } from './seed';

/**
 * `pnpm bench [--quick] [--tokens N] [--seconds S] [--from-source]`: the hot paths of DESIGN §8
 * measured side by side with their floors, in one run, on this machine, only against 127.0.0.1.
 * The TSP runs compiled (services/tsp/dist, built first) unless `--from-source` (tsx).
 * `pnpm bench --profile [--seconds S]`: CPU profiles of the hot paths (bench/profile.ts).
 * `--tsp-node-options '<flags>'`: NODE_OPTIONS for the TSP's processes (its workers inherit
 * them), e.g. `--max-old-space-size=160` to see what a heap cap does to memory and throughput.
 */
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const argValue = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : undefined;
};
const TOKENS = argValue('--tokens') ?? (quick ? 5_000 : 100_000);
const SECONDS = argValue('--seconds') ?? (quick ? 5 : 15);
const LEVELS = quick ? [16, 64] : [8, 32, 64, 128];
const WORKERS = availableParallelism();
const FROM_SOURCE = args.includes('--from-source');
const TSP_NODE_OPTIONS = args.includes('--tsp-node-options') ? args[args.indexOf('--tsp-node-options') + 1] : undefined;


async function main(): Promise<number> {
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0]!;
  const steps = 8 + LEVELS.length + (quick ? 0 : 1);
  const bar = new ProgressBar(steps);
  const keysDir = mkdtempSync(path.join(tmpdir(), 'opentsp-bench-keys-'));
  const keystore = { OPENTSP_KEYSTORE_PATH: path.join(keysDir, 'keystore.jwe'), OPENTSP_KEYSTORE_PASSPHRASE: 'bench-only-passphrase-not-secret' };
  const database = await prepareDatabase();
  const started: RunningProcess[] = [];
  const runs: LoadResult[] = [];
  try {
    const env = { ...BENCH_ENV, ...keystore, DATABASE_URL: database.url, OPENTSP_MODE: 'production' };
    await initKeystore(keystore.OPENTSP_KEYSTORE_PATH, keystore.OPENTSP_KEYSTORE_PASSPHRASE);
    const issuerSim = await startProcess(ENTRY.issuerSim, [], { PORT: String(await freePort()) }, '/healthz');
    started.push(issuerSim);

    // Seed through the composition root (same code as the API) on the bench database.
    // Sandbox for the seeding process only: it lets the issuer register issuer-sim's plain
    // http://127.0.0.1 decision URL (production insists on https). The TSP under test runs in
    // production mode.
    const config = loadConfig({ ...env, OPENTSP_MODE: 'sandbox' });
    const handle = openDatabase({ connectionString: database.url, poolSize: 8 });
    await migrateToLatest(handle.db);
    const ctx = { config, database: handle, logger: createLogger({ level: 'warn' }), metrics: createMetrics() };
    const services = await createServices(ctx);
    const parties = await seedParties(services, issuerSim.url);
    const tokens = await seedTokens(services, parties, TOKENS, () => undefined);
    bar.step(`seeded ${tokens.length} tokens`);

    const port = await freePort();
    const tspEntry = FROM_SOURCE ? ENTRY.tsp : buildCompiledTsp();
    const tsp = await startProcess(tspEntry, ['serve', '--workers', String(WORKERS)], { ...env, PORT: String(port), ...(TSP_NODE_OPTIONS ? { NODE_OPTIONS: TSP_NODE_OPTIONS } : {}) }, '/readyz');
    started.push(tsp);
    let peakRss = tsp.rssMiB();
    let peakProcessRss = tsp.largestProcessRssMiB();
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, tsp.rssMiB());
      peakProcessRss = Math.max(peakProcessRss, tsp.largestProcessRssMiB());
    }, 500);
    bar.step(`TSP started (${WORKERS} workers, ${FROM_SOURCE ? 'from source with tsx' : 'compiled'})`);

    const walletToken = await accessToken(tsp.url, parties.wallet.clientId, parties.wallet.clientSecret);
    const acquirerToken = await accessToken(tsp.url, parties.acquirer.clientId, parties.acquirer.clientSecret);
    const issuerToken = await accessToken(tsp.url, parties.issuerClient.clientId, parties.issuerClient.clientSecret);
    const wallet = { authorization: `Bearer ${walletToken}` };

    // Cryptograms: one per detokenize request to come (each detokenization needs a fresh one).
    const detokenize = await detokenizeBodies(services, parties.wallet, tokens, quick ? 15_000 : 60_000);
    bar.step(`${detokenize.made} cryptograms pre-generated`);
    const detokenizeBody = detokenize.next;
    const acquirerHeaders = { authorization: `Bearer ${acquirerToken}` };
    for (const connections of LEVELS) {
      runs.push(
        await runLoad({ name: `detokenize @${connections}`, url: `${tsp.url}/v1/detokenize`, method: 'POST', headers: acquirerHeaders, connections, durationSeconds: SECONDS, body: detokenizeBody }),
      );
      bar.step(`detokenize at ${connections} connections`);
    }
    runs.push(
      await runLoad({ name: 'detokenize fixed rate', url: `${tsp.url}/v1/detokenize`, method: 'POST', headers: acquirerHeaders, connections: 64, rate: 1_000, durationSeconds: SECONDS, body: detokenizeBody }),
    );
    if (detokenize.used() > detokenize.made) process.stderr.write('\nwarning: cryptograms ran out and were reused (replays)\n');

    let tokenIndex = 0;
    runs.push(
      await runLoad({
        name: 'cryptogram @32',
        url: `${tsp.url}/v1/tokens/${tokens[0]!.tokenRef}/cryptograms`,
        // Spread over the tokens, as wallets' checkouts are: on one token every request would
        // queue on that token's ATC row, and the run would measure one row lock, not the path.
        path: () => `/v1/tokens/${tokens[tokenIndex % tokens.length]!.tokenRef}/cryptograms`,
        method: 'POST',
        headers: wallet,
        connections: 32,
        durationSeconds: SECONDS,
        expectStatus: 201,
        body: () => JSON.stringify({ ...TRANSACTION, amount: 100 + (tokenIndex++ % 1000) }),
      }),
    );
    runs.push(await runLoad({ name: 'token list @32', url: `${tsp.url}/v1/tokens?walletAccountId=bench-wallet-account-7&limit=20`, headers: wallet, connections: 32, durationSeconds: SECONDS }));
    bar.step('cryptogram generation and token list');

    const provisionBodies = await provisioningBodies(tsp.url, TOKENS + 1, quick ? 4_000 : 8_000);
    let nextProvision = 0;
    runs.push(
      await runLoad({ name: 'provision @32', url: `${tsp.url}/v1/tokens`, method: 'POST', headers: wallet, connections: 32, durationSeconds: SECONDS, expectStatus: 201, body: () => provisionBodies[nextProvision++ % provisionBodies.length]! }),
    );
    // The risk engine's effect on provisioning: the same load with every provisioning rule
    // disabled (hot-reloaded by the workers), then the rules enabled again for the rest.
    const disabled = await disableProvisioningRules(services);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    runs.push(
      await runLoad({ name: 'provision @32, risk rules off', url: `${tsp.url}/v1/tokens`, method: 'POST', headers: wallet, connections: 32, durationSeconds: SECONDS, expectStatus: 201, body: () => provisionBodies[nextProvision++ % provisionBodies.length]! }),
    );
    await restoreRules(services, disabled);
    bar.step('provisioning, with and without risk rules');

    type Receipt = { pushReceipt: string };
    // Enough for the 5-second redemption run several times over (it redeems ~70/s here).
    const receipts = await collect<Receipt>(quick ? 1_000 : 2_000, 16, (i) =>
      fetch(`${tsp.url}/v1/push-receipts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${issuerToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ cardRef: tokens[i % tokens.length]!.cardRef, trid: parties.wallet.trid }),
      }),
    );
    let nextReceipt = 0;
    if (receipts.length) {
      runs.push(
        await runLoad({ name: 'push redemption @16', url: `${tsp.url}/v1/tokens`, method: 'POST', headers: wallet, connections: 16, durationSeconds: Math.min(SECONDS, 5), expectStatus: 201, body: () => JSON.stringify({ pushReceipt: receipts[nextReceipt++ % receipts.length]!.pushReceipt, walletAccountId: `bench-push-${nextReceipt}` }) }),
      );
    }
    bar.step('push redemption');
    clearInterval(sampler);

    // Floors, in the same run.
    const floorPort = await freePort();
    const floor = await startProcess(ENTRY.httpFloor, [String(floorPort), String(WORKERS), '700'], { PORT: String(floorPort) }, '/');
    started.push(floor);
    const httpFloor = await runLoad({ name: 'floor: bare node:http @64', url: `${floor.url}/`, method: 'POST', connections: 64, durationSeconds: SECONDS, body: '{}' });
    runs.push(httpFloor);
    await floor.stop();
    // The floor gets the connections the TSP cluster has (workers × DATABASE_POOL_SIZE, 10 by
    // default) for its 64 concurrent callers, as the TSP does.
    const pgFloor = await measurePgFloor(database.url, tokens, 64, SECONDS, WORKERS * 10);
    runs.push(pgFloor);
    // The durable floor: one read, one update, one audit insert, one durable commit (pgbench
    // when installed), over the same number of connections, on the same server.
    const durableFloor = await measureDurableFloor(database.url, WORKERS * 10, SECONDS);
    runs.push(durableFloor);
    const postgresSettings = await readPostgresSettings(database.url);
    bar.step('floors');
    const crypto = await measureCryptoFloor(quick ? 1 : 3);
    const engine = await measureRiskEngine(quick ? 2_000 : 10_000);
    bar.step('crypto and risk engine alone');
    await closeServices(services);
    await handle.close();

    const best = (prefix: string) => runs.filter((r) => r.name.startsWith(prefix) && !r.rate).sort((a, b) => b.rps - a.rps)[0];
    const detok = best('detokenize @');
    const report: BenchReport = {
      startedAt,
      quick,
      machine: machineDescription(database.description),
      postgresSettings,
      tokensSeeded: tokens.length,
      runs,
      ratios: [
        ...(detok
          ? [
              { path: detok.name, floor: httpFloor.name, ratio: detok.rps / Math.max(1, httpFloor.rps) },
              { path: detok.name, floor: pgFloor.name, ratio: detok.rps / Math.max(1, pgFloor.rps) },
              { path: detok.name, floor: durableFloor.name, ratio: detok.rps / Math.max(1, durableFloor.rps) },
            ]
          : []),
        ...riskEffect(runs),
      ],
      crypto,
      engine,
      tspPeakRssMiB: peakRss,
      tspPeakProcessRssMiB: peakProcessRss,
      tspBuild: FROM_SOURCE ? 'source' : 'compiled',
      ...(TSP_NODE_OPTIONS ? { tspNodeOptions: TSP_NODE_OPTIONS } : {}),
      loadAverage: { start: loadAtStart, end: loadavg()[0]! },
      wallSeconds: (Date.now() - Date.parse(startedAt)) / 1000,
    };
    const { jsonPath } = writeReport(report);
    bar.finish();
    process.stdout.write(`\n${markdownTable(report)}\n\nresults: ${jsonPath}\nwall time: ${report.wallSeconds?.toFixed(0)} s\n`);
    const failed = runs.filter((r) => r.errors + r.non2xx > 0);
    if (failed.length) {
      process.stderr.write(`errors in: ${failed.map((r) => `${r.name} (${r.errors + r.non2xx})`).join(', ')}\n`);
      return 1;
    }
    return 0;
  } finally {
    for (const p of started.reverse()) await p.stop();
    await database.close();
    rmSync(keysDir, { recursive: true, force: true });
  }
}

/** Provisioning with the risk rules, as a share of provisioning without them (same run). */
function riskEffect(runs: LoadResult[]): BenchReport['ratios'] {
  const on = runs.find((r) => r.name === 'provision @32');
  const off = runs.find((r) => r.name === 'provision @32, risk rules off');
  return on && off ? [{ path: on.name, floor: off.name, ratio: on.rps / Math.max(1, off.rps) }] : [];
}

const BENCH_ACTOR = { actor: { type: 'cli' as const }, createdBy: 'cli_bench' };

/** Disables every enabled provisioning rule; returns them so they can be enabled again. */
async function disableProvisioningRules(services: Services): Promise<RiskRuleDocument[]> {
  const rules: RiskRuleDocument[] = [];
  let cursor: string | undefined;
  do {
    const page = await services.risk.rules.list({ appliesTo: 'provisioning', enabled: true }, { limit: 200, cursor });
    rules.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  for (const rule of rules) await services.risk.rules.disable(rule.ruleId, BENCH_ACTOR);
  return rules;
}

/** Publishes each rule's last enabled version again (a new version, as an admin would). */
async function restoreRules(services: Services, rules: RiskRuleDocument[]): Promise<void> {
  for (const rule of rules) {
    const { ruleId: _id, version: _v, createdAt: _c, createdBy: _b, ...input } = rule;
    await services.risk.rules.update(rule.ruleId, { ...input, enabled: true }, BENCH_ACTOR);
  }
}

(args.includes('--profile') ? runProfile(args) : main()).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`\nbench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
