import type { Router } from 'express';
import { createAuditCheckpoints, type AuditCheckpoints } from './audit/audit-checkpoints';
import { createAuditLog, type AuditLog } from './audit/audit-log';
import type { Config } from './config';
import type { ServiceContext, StopFn } from './context';
import { createIdentityServices, type IdentityServices } from './domain/identity';
import { bootstrapSandbox, registerDemoCards, type DemoCard, type SandboxCredentials, type SandboxIssuerEndpoints } from './domain/identity/sandbox-bootstrap';
import { createPaymentServices, type PaymentServices } from './domain/payments';
import { createPushServices, type PushServices } from './domain/push';
import { createTokenServices, type TokenServices } from './domain/tokens';
import { createWebhookServices, webhookTargetsFromRegistry, type WebhookServices } from './domain/webhooks';
import { createIdempotencyRepository, IDEMPOTENCY_PURGE_CRON, IDEMPOTENCY_PURGE_TASK } from './http/idempotency-store';
import { mergeJobs, type BackgroundJobs } from './workers/job-worker';
import { auditRoutes } from './http/routes/audit.routes';
import { SandboxConsole, type SandboxPhone } from './http/routes/console-sandbox';
import { identityRoutes } from './http/routes/identity.routes';
import { issuerRoutes } from './http/routes/issuer.routes';
import { paymentsRoutes } from './http/routes/payments.routes';
import { pushRoutes } from './http/routes/push.routes';
import { tokensRoutes } from './http/routes/tokens.routes';
import { riskRoutes } from './http/routes/risk.routes';
import { vaultRoutes } from './http/routes/vault.routes';
import { webhooksRoutes } from './http/routes/webhooks.routes';
import { createRiskServices, type RiskServices } from './risk';
import type { IdempotencyRepository } from './store/idempotency.repository';
import { unitOfWork, type UnitOfWork } from './store/transaction';
import { createVaultServices, type VaultServices } from './vault';
import { openConfiguredKeyProvider } from './vault/configured-key-provider';

/**
 * The composition root: builds every area's services once, in dependency order, and the
 * routers that expose them. server.ts and the test harness both use it, so tests run the
 * same wiring as production.
 */
export interface Services {
  readonly uow: UnitOfWork;
  readonly audit: AuditLog;
  /** Signed checkpoints of the audit chain, and verification against them. */
  readonly auditCheckpoints: AuditCheckpoints;
  readonly vault: VaultServices;
  readonly identity: IdentityServices;
  readonly risk: RiskServices;
  readonly webhooks: WebhookServices;
  readonly tokens: TokenServices;
  readonly payments: PaymentServices;
  readonly push: PushServices;
  /** The Idempotency-Key store (answers sealed by the vault, expired ones purged by a scheduled job). */
  readonly idempotency: IdempotencyRepository;
  /** Sandbox mode only: the console's demo state and webhook sink (see `bootstrapSandboxServices`). */
  readonly sandbox: SandboxConsole | undefined;
}

/** The services the product areas (tokens, payments, push) are built on. */
export type CoreServices = Pick<Services, 'uow' | 'audit' | 'vault' | 'identity' | 'risk' | 'webhooks'>;

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
  const tokens = await createTokenServices(ctx, core);
  const payments = await createPaymentServices(ctx, core, tokens);
  const push = await createPushServices(ctx, core, tokens);
  const idempotency = createIdempotencyRepository(db, ctx.config, vault);
  return { ...core, auditCheckpoints, tokens, payments, push, idempotency, sandbox };
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

/** Routers of every area, mounted after authentication and idempotency. */
export function featureRouters(services: Services, ctx: ServiceContext): Router[] {
  return [
    auditRoutes(services, ctx),
    vaultRoutes(services, ctx),
    identityRoutes(services, ctx),
    riskRoutes(services, ctx),
    webhooksRoutes(services, ctx),
    tokensRoutes(services, ctx),
    issuerRoutes(services, ctx),
    paymentsRoutes(services, ctx),
    pushRoutes(services, ctx),
  ];
}

/** Starts background work (audit chainer, key re-wrap, webhook delivery …); returns its stop. */
export function startBackgroundWork(services: Services, config?: Pick<Config, 'audit'>): StopFn {
  // One job worker runs webhook delivery, the tokens area's scheduled expiry renewal and the
  // purge of expired Idempotency-Key answers (graphile cron: once per slot across processes).
  const idempotencyPurge: BackgroundJobs = {
    handlers: { [IDEMPOTENCY_PURGE_TASK]: async () => void (await services.idempotency.purgeExpired()) },
    crontab: [`${IDEMPOTENCY_PURGE_CRON} ${IDEMPOTENCY_PURGE_TASK} ?max=1`],
  };
  const webhookWorker = services.webhooks.start(mergeJobs(services.tokens.jobs, idempotencyPurge));
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
