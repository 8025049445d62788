import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { closeServices, createServices, type Services } from '../src/compose';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/observability/logger';
import { createMetrics } from '../src/observability/metrics';
import { openDatabase } from '../src/store/database';
import { migrateToLatest } from '../src/store/migrate';
import { initKeystore } from '../src/vault/configured-key-provider';
import { BENCH_ENV, ENTRY, freePort, prepareDatabase, startProcess, type RunningProcess } from './environment';
import { seedParties, seedTokens, type SeededParties } from './seed';

/**
 * What the A/B and profile scripts share: a database of their own, a keystore, the issuer
 * simulator, the parties, and `tokens` seeded through in-process services (kept open so the
 * script can make its request bodies; `closeSeeding` closes them before the measured runs).
 */
export interface SeededBench {
  /** This run's own folder (keystore, CPU profiles); removed by `dispose`. */
  readonly work: string;
  /** The TSP processes' environment: bench settings, this keystore and database, production mode. */
  readonly env: Record<string, string>;
  readonly issuerSim: RunningProcess;
  readonly services: Services;
  readonly parties: SeededParties;
  readonly tokens: Awaited<ReturnType<typeof seedTokens>>;
  /** Starts a TSP process (`dispose` stops it). */
  start(entry: string, args: string[], env?: Record<string, string>, nodeArgs?: string[]): Promise<RunningProcess>;
  /** Closes the in-process services and their pool (the seeding's work is done). */
  closeSeeding(): Promise<void>;
  /** Stops every process, drops the database, removes the folder. */
  dispose(): Promise<void>;
}

export async function seedBench(options: { name: string; tokens: number; issuerSimNodeArgs?: (work: string) => string[] }): Promise<SeededBench> {
  const work = mkdtempSync(path.join(tmpdir(), `opentsp-${options.name}-`));
  const keystore = { OPENTSP_KEYSTORE_PATH: path.join(work, 'keystore.jwe'), OPENTSP_KEYSTORE_PASSPHRASE: 'bench-only-passphrase-not-secret' };
  const database = await prepareDatabase();
  const started: RunningProcess[] = [];
  let seeding: { services: Services; close(): Promise<void> } | undefined;
  const closeSeeding = async () => {
    const open = seeding;
    seeding = undefined;
    await open?.close();
  };
  const dispose = async () => {
    await closeSeeding();
    for (const p of started.reverse()) await p.stop();
    await database.close();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    const env = { ...BENCH_ENV, ...keystore, DATABASE_URL: database.url, OPENTSP_MODE: 'production' };
    await initKeystore(keystore.OPENTSP_KEYSTORE_PATH, keystore.OPENTSP_KEYSTORE_PASSPHRASE);
    const issuerSim = await startProcess(ENTRY.issuerSim, [], { PORT: String(await freePort()) }, '/healthz', options.issuerSimNodeArgs?.(work));
    started.push(issuerSim);
    const handle = openDatabase({ connectionString: database.url, poolSize: 8 });
    await migrateToLatest(handle.db);
    const services = await createServices({
      config: loadConfig({ ...env, OPENTSP_MODE: 'sandbox' }),
      database: handle,
      logger: createLogger({ level: 'warn' }),
      metrics: createMetrics(),
    });
    seeding = {
      services,
      async close() {
        await closeServices(services);
        await handle.close();
      },
    };
    const parties = await seedParties(services, issuerSim.url);
    const tokens = await seedTokens(services, parties, options.tokens, () => undefined);
    return {
      work,
      env,
      issuerSim,
      services,
      parties,
      tokens,
      async start(entry, args, extraEnv = {}, nodeArgs) {
        const tsp = await startProcess(entry, args, { ...env, PORT: String(await freePort()), ...extraEnv }, '/readyz', nodeArgs);
        started.push(tsp);
        return tsp;
      },
      closeSeeding,
      dispose,
    };
  } catch (err) {
    await dispose();
    throw err;
  }
}
