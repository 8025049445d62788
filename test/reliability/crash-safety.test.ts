import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkTokenChanges, findDuplicates, waitForDeliveries } from './support/crash-checks';
import {
  killAt,
  KILL_TARGETS,
  lane,
  provisioningChain,
  pushChain,
  rotationChain,
  verificationChain,
  waitForRotation,
  type KillRecord,
  type Run,
} from './support/crash-scenarios';
import { sleep, startCrashWorld, type CrashWorld } from './support/crash-world';
import { KeystoreFileProvider } from '../../services/tsp/src/vault/keystore-file-provider';
import { runCli } from './support/tsp-process';

/*
 * Crash safety (issue #11): a production-mode TSP child process is killed with SIGKILL at
 * aimed moments — a provisioning request in flight, an ID&V start or confirm, a push receipt
 * created or redeemed, a lifecycle change, a webhook at the receiver before its answer, a KEK re-wrap just started —
 * and restarted each time, while clients keep retrying with the SAME Idempotency-Key until they
 * get an answer. Afterwards, from the database: no duplicate token, every audited token change
 * has its outbox events and every event reached every recipient, the rotation finished, and
 * `opentsp audit verify` passes.
 *
 * Quick form (CI): OPENTSP_CRASH_KILLS (default 8). Full form: OPENTSP_CRASH_KILLS=100.
 * Summary: .test-artifacts/reliability/crash-summary.json.
 */

const KILLS = Number(process.env.OPENTSP_CRASH_KILLS ?? 8);
// Enough data keys that a KEK re-wrap (batches of 200) lasts long enough to be killed mid-way.
const SEED_CARDS = Number(process.env.OPENTSP_CRASH_SEED_CARDS ?? 1_000);
const SUMMARY = path.resolve(__dirname, '..', '..', '.test-artifacts', 'reliability', 'crash-summary.json');

// Webhook retries fast and a short send timeout, so redeliveries after a crash fall inside the run.
const TSP_ENV = {
  OPENTSP_WEBHOOK_BACKOFF_BASE_MS: '200',
  OPENTSP_WEBHOOK_BACKOFF_MAX_MS: '2000',
  OPENTSP_WEBHOOK_TIMEOUT_MS: '3000',
  OPENTSP_WEBHOOK_POLL_INTERVAL_MS: '250',
  OPENTSP_ISSUER_TIMEOUT_MS: '1000',
};

describe(`crash safety: ${KILLS} × kill -9 of the TSP under load, then restart`, () => {
  let w: CrashWorld;
  beforeAll(async () => {
    w = await startCrashWorld(TSP_ENV, { seedCards: SEED_CARDS });
  }, 120_000);
  afterAll(async () => {
    await w?.close();
  }, 60_000);

  it('loses nothing and duplicates nothing; every change is audited and announced', async () => {
    const started = Date.now();
    const run: Run = { outcomes: [], chains: [], unexpected: [], rotationsStarted: 0 };
    let stopped = false;
    const isStopped = () => stopped;
    const lanes = [
      lane(isStopped, () => provisioningChain(w, run)),
      lane(isStopped, () => verificationChain(w, run)),
      lane(isStopped, () => pushChain(w, run)),
      lane(isStopped, () => pushChain(w, run)),
      lane(isStopped, () => rotationChain(w, run), 500),
    ];

    const kills: KillRecord[] = [];
    try {
      for (let i = 0; i < KILLS; i++) {
        kills.push(await killAt(w, KILL_TARGETS[i % KILL_TARGETS.length] ?? 'provisioning'));
        await sleep(300 + Math.floor(Math.random() * 700)); // let work start again before the next kill
      }
    } finally {
      stopped = true;
    }
    await Promise.all(lanes);
    const loadMs = Date.now() - started;

    const keys = await waitForRotation(w, 90_000);
    const deliveries = await waitForDeliveries(w.db.pool, w.receiver, 90_000);
    const duplicates = await findDuplicates(w.db.pool, run.chains);
    const changes = await checkTokenChanges(w.db.pool);
    const verify = await runCli(['audit', 'verify'], { databaseUrl: w.db.url, keystore: w.keystore });
    const unchained = await w.db.pool.query<{ n: number }>('select count(*)::int as n from audit_entries where seq is null');
    // Each rotation the admin was answered 202 for, and no other (a retry must not start a second one).
    const rotationsInDb = (await w.db.pool.query<{ n: number }>('select count(*)::int as n from key_rotations')).rows[0]?.n;

    const keks = keys.keks as Array<{ version: number; status: string; dekCount: number }>;
    // Retired KEKs must be gone from the keystore too (destroyed), the active one present.
    const keystore = await KeystoreFileProvider.open({ path: w.keystore.OPENTSP_KEYSTORE_PATH, passphrase: w.keystore.OPENTSP_KEYSTORE_PASSPHRASE });
    const retiredStillInKeystore: number[] = [];
    for (const k of keks) if (k.status === 'retired' && (await keystore.hasKek(k.version))) retiredStillInKeystore.push(k.version);
    const activeInKeystore = await Promise.all(keks.filter((k) => k.status === 'active').map((k) => keystore.hasKek(k.version)));
    const summary = {
      kills: kills.length,
      killsAimed: kills.filter((k) => k.aimed).length,
      killsByTarget: Object.fromEntries(KILL_TARGETS.map((t) => [t, kills.filter((k) => k.target === t).length])),
      killsDuringRewrap: kills.filter((k) => k.duringRewrap).length,
      restartMsMax: Math.max(0, ...kills.map((k) => k.restartMs)),
      operations: run.outcomes.length,
      operationsByKind: countBy(run.outcomes.map((o) => o.kind)),
      operationsRetried: run.outcomes.filter((o) => o.retries > 0).length,
      retries: w.stats.retries,
      retriesByReason: w.stats.byReason,
      answersReplayed: run.outcomes.filter((o) => o.replayed).length,
      unexpectedAnswers: run.unexpected,
      tokens: changes.tokens,
      auditedTokenChanges: changes.auditedChanges,
      duplicates: duplicates.duplicateTokens.length,
      duplicateTokens: duplicates.duplicateTokens,
      answerMismatches: duplicates.answerMismatches,
      duplicateReceipts: duplicates.duplicateReceipts,
      changeMismatches: changes.mismatches,
      webhookEvents: deliveries.events,
      webhookDeliveries: deliveries.deliveries,
      eventsLost: deliveries.lost.length,
      undelivered: deliveries.undelivered,
      redeliveries: deliveries.redelivered,
      rotationsStarted: run.rotationsStarted,
      rotationsInDb,
      keks,
      rotation: keys.rotation,
      retiredStillInKeystore,
      auditVerify: { exitCode: verify.code, output: verify.stdout.trim() || verify.stderr.trim() },
      auditUnchained: unchained.rows[0]?.n,
      loadMs,
      totalMs: Date.now() - started,
    };
    mkdirSync(path.dirname(SUMMARY), { recursive: true });
    writeFileSync(SUMMARY, `${JSON.stringify(summary, null, 2)}\n`);

    expect(kills).toHaveLength(KILLS);
    expect(run.unexpected).toEqual([]);
    expect(duplicates).toEqual({ duplicateTokens: [], answerMismatches: [], duplicateReceipts: [] });
    expect(changes.mismatches).toEqual([]);
    expect(changes.tokens).toBeGreaterThan(0);
    expect({ lost: deliveries.lost, undelivered: deliveries.undelivered }).toEqual({ lost: [], undelivered: [] });
    expect(keys.rotation).toMatchObject({ status: 'completed' });
    expect(run.rotationsStarted).toBeGreaterThan(0);
    expect(rotationsInDb).toBe(run.rotationsStarted);
    expect(keks.filter((k) => k.status === 'active')).toHaveLength(1);
    expect(keks.filter((k) => k.status !== 'active' && k.dekCount > 0)).toEqual([]);
    expect({ retiredStillInKeystore, activeInKeystore }).toEqual({ retiredStillInKeystore: [], activeInKeystore: [true] });
    expect(verify.code).toBe(0);
    expect(unchained.rows[0]?.n).toBe(0);
  }, 300_000 + KILLS * 20_000);
});

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
