import { createAuditCheckpoints } from './audit/audit-checkpoints';
import { createAuditLog } from './audit/audit-log';
import { buildPaymentServices } from './composition/payments';
import { buildPushServices } from './composition/push';
import type { CoreServices } from './composition/core';
import { buildTokenServices } from './composition/tokens';
import type { Config } from './config';
import type { BackgroundJobs, ServiceContext, StopFn } from './context';
import { createAuditTrail } from './domain/audit';
import { createIdentityServices } from './domain/identity';
import { bootstrapSandbox, registerDemoCards, type DemoCard, type SandboxCredentials, type SandboxIssuerEndpoints } from './domain/identity/sandbox-bootstrap';
import { createWebhookServices, webhookTargetsFromRegistry } from './domain/webhooks';
import { createIdempotencyRepository, IDEMPOTENCY_PURGE_CRON, IDEMPOTENCY_PURGE_TASK } from './http/idempotency-store';
import { SandboxConsole, type SandboxPhone } from './http/routes/console-sandbox';
import type { ApiServices } from './http/services';
import { createRiskServices } from './risk';
import { unitOfWork } from './store/transaction';
import { createVaultServices, type VaultServices } from './vault';
import { openConfiguredKeyProvider } from './vault/configured-key-provider';
import { mergeJobs, startJobWorker } from './workers/job-worker';

export type { ApiServices } from './http/services';
export type { CoreServices } from './composition/core';

/**
 * The composition root: builds every area's services once, in dependency order, wiring the
 * product areas through their ports (composition/), and starts their background work.
 * server.ts and the test harness both use it, so tests run the same wiring as production.
 * (The routers that expose the services are listed in http/routes/index.ts.)
 */
export interface Services extends ApiServices {
  /** The service's one job worker (graphile-worker), started by `startBackgroundWork`. */
  readonly jobWorker: JobWorker;
}

/** Runs background jobs (every area's `jobs`) on the database's job queue until stopped. */
export interface JobWorker {
  start(jobs: BackgroundJobs): Promise<StopFn>;
}

export async function createServices(ctx: ServiceContext): Promise<Services> {
  const { db } = ctx.database;
  const uow = unitOfWork(db, ctx.readReplica);
  // The audit chain key comes from the vault's key provider, so the provider opens first.
  const keyProvider = await openConfiguredKeyProvider(ctx.config, ctx.logger);
  const audit = createAuditLog(db, ctx.logger, await keyProvider.auditChainKey());
  const vault = await createVaultServices(ctx, audit, keyProvider);
  const auditCheckpoints = createAuditCheckpoints(db, audit, vault.keyRing, ctx.logger, { file: ctx.config.audit.checkpointFile });
  const identity = await createIdentityServices(ctx, vault, audit);
  const risk = await createRiskServices(ctx, audit);
  const sandbox = ctx.config.mode === 'sandbox' ? sandboxConsole(ctx.config, vault) : undefined;
  const registered = webhookTargetsFromRegistry(identity.registry);
  const webhooks = await createWebhookServices(ctx, vault, audit, sandbox ? sandbox.webhookTargets(registered) : registered);
  const core: CoreServices = { uow, audit, vault, identity, risk, webhooks };
  const tokens = await buildTokenServices(ctx, core);
  const payments = await buildPaymentServices(ctx, core);
  const push = await buildPushServices(ctx, core, tokens);
  const idempotency = createIdempotencyRepository(db, ctx.config, vault);
  const auditTrail = createAuditTrail({ leader: db, reads: () => uow.reads, audit, checkpoints: auditCheckpoints });
  return { ...core, auditCheckpoints, auditTrail, tokens, payments, push, idempotency, sandbox, jobWorker: jobWorkerOf(ctx) };
}

/** The job worker over the service's pool; its settings are the webhook delivery's (the longest job). */
function jobWorkerOf(ctx: ServiceContext): JobWorker {
  const settings = ctx.config.webhooks;
  return {
    start: (jobs) =>
      startJobWorker({
        pool: ctx.database.pool,
        logger: ctx.logger,
        concurrency: settings.concurrency,
        pollIntervalMs: settings.pollIntervalMs,
        // A webhook attempt lasts at most its HTTP timeout plus a few queries: twice that and a
        // margin means the worker holding the lock is gone (see startJobWorker).
        staleLockMs: 2 * settings.timeoutMs + 15_000,
        handlers: jobs.handlers,
        crontab: jobs.crontab,
      }),
  };
}

function sandboxConsole(config: Config, vault: VaultServices): SandboxConsole {
  return new SandboxConsole(config, { get: () => vault.keyRing.publicJwks(), refresh: async () => vault.keyRing.refresh?.() });
}

export interface SandboxBootstrapOptions {
  /** Where the banner goes (default stdout). */
  print?: (text: string) => void;
  /** The URL the HTTP server listens on, when already known (else call `services.sandbox.listening(url)` later). */
  listeningUrl?: string;
  /** The issuer simulator's URLs and inbox, when it runs in this process (`opentsp serve --sandbox`). */
  issuerHost?: { endpoints: SandboxIssuerEndpoints; phone: SandboxPhone };
}

/**
 * Sandbox start-up: the demo bank, wallet, acquirer and admin (sandbox.json and the banner),
 * the demo cards in the vault, and the console's view of them; from then on the sandbox
 * wallet's and bank's webhooks go to the console's sink. Idempotent across restarts.
 *
 * @example
 * ```ts
 * const services = await createServices(ctx);
 * if (config.mode === 'sandbox') await bootstrapSandboxServices(services, config);
 * const server = await listen(createApp({ ...ctx, services }));
 * services.sandbox?.listening(urlOf(server)); // the real port, e.g. with PORT=0
 * ```
 */
export async function bootstrapSandboxServices(
  services: Services,
  config: Config,
  options: SandboxBootstrapOptions = {},
): Promise<{ credentials: SandboxCredentials; demoCards: DemoCard[] }> {
  if (!services.sandbox) throw new Error('bootstrapSandboxServices: the services were not built in sandbox mode');
  const credentials = await bootstrapSandbox(services.identity, config, options.print, options.issuerHost?.endpoints);
  if (options.issuerHost) services.sandbox.attachPhone(options.issuerHost.phone);
  const demoCards = await registerDemoCards(services, credentials);
  services.sandbox.ready(credentials, demoCards);
  if (options.listeningUrl) services.sandbox.listening(options.listeningUrl);
  return { credentials, demoCards };
}

/** Starts background work (audit chainer, key re-wrap, webhook delivery …); returns its stop. */
export function startBackgroundWork(services: Services, config?: Pick<Config, 'audit'>): StopFn {
  // One job worker runs webhook delivery, the tokens area's scheduled expiry renewal and the
  // purge of expired Idempotency-Key answers (graphile cron: once per slot across processes).
  const idempotencyPurge: BackgroundJobs = {
    handlers: { [IDEMPOTENCY_PURGE_TASK]: async () => void (await services.idempotency.purgeExpired()) },
    crontab: [`${IDEMPOTENCY_PURGE_CRON} ${IDEMPOTENCY_PURGE_TASK} ?max=1`],
  };
  const webhookWorker = services.jobWorker.start(mergeJobs(services.webhooks.jobs, services.tokens.jobs, idempotencyPurge));
  const stops: StopFn[] = [services.audit.startChainer(), services.vault.start(), services.risk.startReloader(), async () => (await webhookWorker)()];
  if (config?.audit.checkpointIntervalMs) stops.push(services.auditCheckpoints.start(config.audit.checkpointIntervalMs));
  return async () => {
    await Promise.all(stops.map((stop) => stop()));
  };
}

/** Releases what the services hold open outside background work (listeners, timers). */
export async function closeServices(services: Services): Promise<void> {
  await services.identity.close();
}
