import type { AuditLog } from '../../audit/audit-log';
import type { ServiceContext } from '../../context';
import { clientsRepository } from '../../store/clients.repository';
import { onDatabaseClosed } from '../../store/registry-notify.repository';
import { unitOfWork } from '../../store/transaction';
import type { VaultServices } from '../../vault';
import type { Authenticator, Principal } from '../principal';
import { createAccessTokens, type AccessTokens } from './access-tokens';
import { DEFAULT_SCRYPT_COST, type ScryptCost } from './client-secrets';
import { ClientAdmin, type SecretSealer } from './clients';
import { IssuerAdmin } from './issuers';
import { RegistryCache, type IdentityRegistry } from './registry';
import { startRegistrySync } from './registry-sync';
import { listEligibleRequestors, type TokenRequestorList } from './requestors';
import { TokenFailureBudget } from './token-failure-budget';
import { grantClientCredentials, type OAuthTokenResponse, type TokenRequest } from './token-endpoint';

export type { IdentityRegistry } from './registry';
export type { AdminContext } from './clients';
export * from './tenancy';

/**
 * What the identity area provides: authentication of access tokens, the token endpoint, the
 * in-memory registry other areas look issuers and requestors up in, and the admin services.
 */
export interface IdentityServices {
  authenticator: Authenticator;
  registry: IdentityRegistry;
  clients: ClientAdmin;
  issuers: IssuerAdmin;
  accessTokens: AccessTokens;
  /** `POST /oauth2/token`. */
  grantToken(request: TokenRequest): Promise<OAuthTokenResponse>;
  /** `GET /v1/issuer/token-requestors`. */
  listEligibleRequestors(principal: Principal, query: { limit?: number; cursor?: string }): Promise<TokenRequestorList>;
  /** Reloads the registry from the database now. */
  refreshRegistry(): Promise<void>;
  /** Stops the registry listener and timers. */
  close(): Promise<void>;
}

/** The admin services alone, for the CLI: no listener, no access tokens (and no vault). */
export async function createRegistryAdmin(
  ctx: ServiceContext,
  audit: AuditLog,
  sealer?: SecretSealer,
): Promise<{ clients: ClientAdmin; issuers: IssuerAdmin }> {
  const { config, database, logger } = ctx;
  const uow = unitOfWork(database.db);
  const cache = new RegistryCache();
  const sync = await startRegistrySync(database, cache, logger, { refreshIntervalMs: 3_600_000, listen: false });
  await sync.close();
  const scryptCost: ScryptCost = { ...DEFAULT_SCRYPT_COST, log2N: config.identity.scryptLog2N };
  const sandbox = config.mode === 'sandbox';
  return {
    clients: new ClientAdmin({ uow, audit, cache, scryptCost, tspCode: config.tspCode, sandbox, sealer }),
    issuers: new IssuerAdmin({ uow, audit, cache, sandbox, defaultBinControllerId: defaultBinControllerId(config) }),
  };
}

/** The TSP's own BIN controller id: configured, or `T` + the TSP code. */
function defaultBinControllerId(config: ServiceContext['config']): string {
  return config.binControllerId ?? `T${config.tspCode}`;
}

export async function createIdentityServices(ctx: ServiceContext, vault: VaultServices, audit: AuditLog): Promise<IdentityServices> {
  const { config, database, logger } = ctx;
  const settings = config.identity;
  const uow = unitOfWork(database.db);
  const scryptCost: ScryptCost = { ...DEFAULT_SCRYPT_COST, log2N: settings.scryptLog2N };
  const cache = new RegistryCache();
  const sync = await startRegistrySync(database, cache, logger, { refreshIntervalMs: settings.registryRefreshMs, listen: true });
  const accessTokens = createAccessTokens({ keyRing: vault.keyRing, issuer: config.publicUrl, ttlSeconds: settings.accessTokenTtlSeconds, registry: cache });
  const sandbox = config.mode === 'sandbox';
  const failureBudget = new TokenFailureBudget(settings.rateLimits.auth);
  const purge = setInterval(() => {
    void clientsRepository.purgeExpiredJtis(database.db).catch(() => undefined);
    void failureBudget.purge(database.db).catch(() => undefined);
  }, 10 * 60_000);
  purge.unref();
  const close = async () => {
    detach();
    clearInterval(purge);
    await sync.close();
  };
  // The listener and timers end with the database handle (shutdown, or a finished test).
  const detach = onDatabaseClosed(database, () => void close());

  return {
    authenticator: accessTokens.authenticator,
    registry: cache,
    accessTokens,
    clients: new ClientAdmin({ uow, audit, cache, scryptCost, tspCode: config.tspCode, sandbox, sealer: vault.envelope }),
    issuers: new IssuerAdmin({ uow, audit, cache, sandbox, defaultBinControllerId: defaultBinControllerId(config) }),
    grantToken: (request) =>
      grantClientCredentials(
        { db: database.db, audit, accessTokens, scryptCost, logger, failureBudget, assertionAudiences: [`${config.publicUrl}/oauth2/token`, config.publicUrl] },
        request,
      ),
    listEligibleRequestors: (principal, query) => listEligibleRequestors(database.db, principal, query),
    refreshRegistry: () => sync.refresh(),
    close,
  };
}
