import cluster from 'node:cluster';
import { createServer, type RequestListener, type Server } from 'node:http';
import path from 'node:path';
import type { Config } from './config';
import { bootstrapSandboxServices, closeServices, createServices, startBackgroundWork } from './compose';
import type { ServiceContext } from './context';
import { createApp } from './http/app';
import { createLogger, type Logger } from './observability/logger';
import { createMetrics } from './observability/metrics';
import { flushTraces } from './observability/tracing';
import type { DatabaseHandle } from './store/database';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './store/embedded-postgres';
import { isDatabaseUnavailable } from './store/database-errors';
import { openReplicaPool, readReplica, type ReadReplica } from './store/read-replica';
import { openServiceDatabase, startPartitionMaintenance } from './store/service-database';
import { sandboxGuide } from './sandbox-guide';

export interface RunningTsp {
  readonly url: string;
  readonly port: number;
  readonly logger: Logger;
  readonly database: DatabaseHandle;
  /** Drains connections, closes the pool and stops the embedded Postgres (if any). */
  stop(): Promise<void>;
}

/**
 * Resolves the database the TSP will use: `DATABASE_URL` when configured, otherwise an
 * embedded Postgres kept under `<dataDir>/postgres` (sandbox).
 */
export async function resolveDatabaseUrl(
  config: Config,
  logger: Logger,
): Promise<{ url: string; embedded?: EmbeddedPostgresHandle }> {
  if (config.databaseUrl) return { url: config.databaseUrl };
  logger.warn({ dataDir: config.dataDir }, 'DATABASE_URL is not set: starting an embedded Postgres (sandbox only)');
  const embedded = await startEmbeddedPostgres({
    dataDir: path.join(config.dataDir, 'postgres'),
    persistent: true,
    onLog: (line) => logger.debug({ component: 'embedded-postgres' }, line),
  });
  return { url: embedded.url, embedded };
}

/**
 * `DATABASE_READ_URL`: the replica for read-only paths, with its lag sampler (not started).
 * Its pool is as large as the leader's: the reads it takes off the leader are the same requests.
 */
export function openConfiguredReadReplica(config: Config, leader: DatabaseHandle, databaseUrl: string, logger: Logger): ReadReplica | undefined {
  if (!config.databaseReadUrl) return undefined;
  const replica = openReplicaPool({ readUrl: config.databaseReadUrl, databaseUrl, ...(config.databaseOwnerUrl ? { ownerUrl: config.databaseOwnerUrl } : {}), poolSize: config.databasePoolSize });
  logger.info({ maxLagMs: config.readMaxLagMs, checkEveryMs: config.readLagCheckMs }, 'read-only paths may use the read replica (DATABASE_READ_URL)');
  return readReplica({ leader: leader.db, replica, maxLagMs: config.readMaxLagMs, checkEveryMs: config.readLagCheckMs, logger });
}

/** Starts the whole service: database, migrations, HTTP listener, signal handling. */
export async function startTsp(config: Config, logger = createLogger({ level: config.logLevel })): Promise<RunningTsp> {
  containDatabaseOutages(logger);
  const resolved = await resolveDatabaseUrl(config, logger);
  const embedded = resolved.embedded;
  let database: DatabaseHandle;
  try {
    // Migrates as the owner; the service itself runs as the restricted role (DESIGN §4).
    const opened = await openServiceDatabase({ url: resolved.url, ownerUrl: config.databaseOwnerUrl, poolSize: config.databasePoolSize });
    database = opened.database;
    if (opened.applied.length) logger.info({ migrations: opened.applied.map((m) => m.migrationName) }, 'migrations applied');
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
  const readReplica = openConfiguredReadReplica(config, database, resolved.url, logger);
  const stopSampling = readReplica?.start();
  const ctx: ServiceContext = { config, logger, database, metrics: createMetrics(), ...(readReplica ? { readReplica } : {}) };
  const services = await createServices(ctx);
  // Sandbox: the bank (issuer simulator) runs in this process; the demo issuer, wallet, acquirer
  // and admin exist; their credentials are printed.
  // (Not in `--workers` processes: one simulator per worker would fight over the bank's URLs.)
  // Loaded only here: a production process never loads the simulator.
  const issuerHost = config.mode === 'sandbox' && !cluster.isWorker ? await (await import('./sandbox-issuer')).startSandboxIssuer(logger) : undefined;
  const sandbox = config.mode === 'sandbox' ? await bootstrapSandboxServices(services, config, issuerHost ? { issuerHost } : {}) : undefined;
  const stopBackgroundWork = startBackgroundWork(services, config);
  // Next month's partitions and the issuances' old months detached, every 6 hours, as the owner (the
  // migration run at start did it once; a service may run for months without a restart).
  const stopPartitionMaintenance = startPartitionMaintenance({ url: resolved.url, ...(config.databaseOwnerUrl ? { ownerUrl: config.databaseOwnerUrl } : {}) }, logger);
  const app = createApp({ ...ctx, services });
  const server = await listen(createHttpServer(app, config), config.port, config.host);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host}:${port}`;
  services.sandbox?.listening(url); // the webhook sink's address, now that the port is known (PORT=0)
  issuerHost?.verifyWith(url);
  logger.info({ url, mode: config.mode }, 'OpenTSP listening');
  if (issuerHost && sandbox) process.stdout.write(sandboxGuide({ config, url, issuerUrl: issuerHost.url, credentials: sandbox.credentials, demoCards: sandbox.demoCards }));

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('shutting down: draining connections');
      await closeServer(server, config.shutdownGraceMs);
      await stopBackgroundWork();
      await stopPartitionMaintenance();
      await closeServices(services);
      await issuerHost?.stop();
      await stopSampling?.();
      await readReplica?.close();
      await database.close();
      await embedded?.stop();
      logger.info('stopped');
      await flushTraces();
    })());
  return { url, port, logger, database, stop };
}

/**
 * The HTTP server with slow-client limits (slowloris, OWASP API4:2023): headers must arrive
 * within `headersTimeoutMs`, the whole request within `requestTimeoutMs`, else Node answers 408
 * and closes the socket. The expiry check runs every second (Node's default is every 30 s,
 * which would let a slow client hold a socket far past the limit).
 */
export function createHttpServer(app: RequestListener, config: Pick<Config, 'headersTimeoutMs' | 'requestTimeoutMs'>): Server {
  const server = createServer(
    {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: Math.max(config.requestTimeoutMs, config.headersTimeoutMs),
      connectionsCheckingInterval: Math.min(1_000, config.headersTimeoutMs),
    },
    app,
  );
  server.keepAliveTimeout = 5_000;
  return server;
}

function listen(server: Server, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** Stops accepting, lets in-flight requests finish, then cuts what is left after `graceMs`. */
function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

let outagesContained = false;

/**
 * A database failover or restart cuts every connection at once. graphile-worker's batched job
 * completion (and a LISTEN client's pending query) can then reject a promise nobody awaits, and
 * Node's default for an unhandled rejection ends the process: each cluster worker died and was
 * restarted mid-failover (seen in the failover test), dropping its in-flight requests. Such a
 * rejection is the outage the request path already answers with 503; the job queue's stale-lock
 * sweep releases whatever the lost statement held. Any other unhandled rejection still ends the
 * process, as before.
 */
function containDatabaseOutages(logger: Logger): void {
  if (outagesContained) return;
  outagesContained = true;
  process.on('unhandledRejection', (reason) => {
    if (isDatabaseUnavailable(reason)) {
      logger.warn({ err: reason }, 'database connection lost under a background statement; continuing');
      return;
    }
    logger.fatal({ err: reason }, 'unhandled promise rejection');
    process.exit(1);
  });
}
