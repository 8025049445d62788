import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../../config';
import { createLogger } from '../../observability/logger';
import { openServiceDatabase } from '../../store/service-database';
import { resolveDatabaseUrl, startTsp } from '../../server';

interface ServeOptions {
  sandbox?: boolean;
  port?: string;
  workers?: string;
}

/**
 * `opentsp serve`: the HTTP API. With `--workers N` (or `auto`: one per core) a primary
 * process applies migrations once, starts the embedded Postgres if needed, then forks N
 * stateless workers sharing the port (node:cluster); a worker that dies is replaced.
 */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('start the TSP HTTP API (applies migrations first)')
    .option('--sandbox', 'sandbox mode: embedded Postgres when DATABASE_URL is unset, generated sandbox keys')
    .option('-p, --port <port>', 'port to listen on (default: $PORT or 8080)')
    .option('-w, --workers <n>', 'worker processes: a number or "auto" (one per core); default 1')
    .action(async (options: ServeOptions) => {
      const env = options.port ? { ...process.env, PORT: options.port } : process.env;
      const config = loadConfig(env, options.sandbox ? { mode: 'sandbox' } : {});
      const workers = workerCount(options.workers);
      if (cluster.isPrimary && workers > 1) await runPrimary(config, workers);
      else await runSingle(config);
    });
}

function workerCount(raw: string | undefined): number {
  if (!raw) return 1;
  if (raw === 'auto') return availableParallelism();
  const n = Number.parseInt(raw, 10);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error('--workers takes a number from 1 to 64 or "auto"');
  return n;
}

async function runSingle(config: Config): Promise<void> {
  const tsp = await startTsp(config);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      tsp.logger.info({ signal }, 'signal received');
      tsp.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

async function runPrimary(config: Config, workers: number): Promise<void> {
  const logger = createLogger({ level: config.logLevel });
  const { url, embedded } = await resolveDatabaseUrl(config, logger);
  // Migrate once here (as the owner); workers then find the schema and the service role ready.
  await (await openServiceDatabase({ url, ownerUrl: config.databaseOwnerUrl, poolSize: 1 })).database.close();
  let stopping = false;
  const fork = (index: number) =>
    cluster.fork({
      DATABASE_URL: url,
      OPENTSP_MODE: config.mode,
      OPENTSP_WORKER_INDEX: String(index),
    });
  const indexOf = new Map<number, number>();
  for (let i = 1; i <= workers; i++) indexOf.set(fork(i).id, i);
  cluster.on('exit', (worker, code, signal) => {
    const index = indexOf.get(worker.id) ?? 0;
    indexOf.delete(worker.id);
    if (stopping) return;
    logger.error({ worker: index, code, signal }, 'worker died; starting a new one');
    indexOf.set(fork(index).id, index);
  });
  logger.info({ workers }, 'OpenTSP cluster started');
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      stopping = true;
      logger.info({ signal }, 'signal received: stopping workers');
      const alive = Object.values(cluster.workers ?? {}).filter((w) => w && !w.isDead());
      let remaining = alive.length;
      const done = () => {
        void (embedded?.stop() ?? Promise.resolve()).then(() => process.exit(0));
      };
      if (remaining === 0) return done();
      for (const worker of alive) {
        worker?.once('exit', () => {
          remaining -= 1;
          if (remaining === 0) done();
        });
        worker?.process.kill('SIGTERM');
      }
    });
  }
}
