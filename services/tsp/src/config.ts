import path from 'node:path';
import type { BlockList } from 'node:net';
import { parseCidrList } from './util/outbound-guard';
import { parseTrustProxy, type TrustProxy } from './util/trust-proxy';

/**
 * Runtime configuration, read once from the environment and frozen.
 *
 * Why fail fast: a TSP that starts with a half-understood configuration is worse than one
 * that does not start. Every variable is parsed here and nowhere else; the rest of the code
 * receives a typed, immutable `Config`.
 */
export type Mode = 'sandbox' | 'production';

export interface Config {
  readonly mode: Mode;
  readonly host: string;
  readonly port: number;
  /** Public base URL of this TSP (used in deep links and the `aud` of client assertions). */
  readonly publicUrl: string;
  /** Postgres connection string; when absent an embedded Postgres is started under `dataDir`. */
  readonly databaseUrl: string | undefined;
  /**
   * `DATABASE_OWNER_URL`: the schema owner, for migrations; `databaseUrl` is then the restricted
   * service role. Unset: `databaseUrl` is the owner and the TSP creates its service role itself.
   */
  readonly databaseOwnerUrl?: string;
  readonly databasePoolSize: number;
  /**
   * `DATABASE_READ_URL`: a streaming replica (or a router to replicas, e.g. HAProxy's replicas
   * port) for read-only paths; unset = every read on `databaseUrl`. store/read-replica.ts.
   */
  readonly databaseReadUrl?: string;
  /** `OPENTSP_READ_MAX_LAG_MS`: reads go back to the leader while the replica is further behind (default 2000). */
  readonly readMaxLagMs: number;
  /** `OPENTSP_READ_LAG_CHECK_MS`: how often the replica's lag is sampled (default 1000). */
  readonly readLagCheckMs: number;
  /** Where sandbox state lives: the embedded database, the sandbox keystore, sandbox.json. */
  readonly dataDir: string;
  readonly logLevel: string;
  /** 3-digit code of this TSP, the first three digits of every TRID it allocates. */
  readonly tspCode: string;
  /** Validate responses against openapi/tsp.yaml too (tests and development; costs CPU). */
  readonly validateResponses: boolean;
  /** How long a graceful shutdown may take before open connections are cut. */
  readonly shutdownGraceMs: number;
  /** Browser origins allowed by CORS (`OPENTSP_CORS_ORIGINS`, comma-separated); empty = no CORS headers. */
  readonly corsOrigins: readonly string[];
  /** HTTP server: time to receive a request's headers / whole request before the socket is cut (slow clients). */
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Vault: the sealed KEK keystore file (default `<dataDir>/keystore.jwe`, sandbox only). */
  readonly keystorePath: string | undefined;
  /** Vault: passphrase of the keystore (required outside sandbox mode). */
  readonly keystorePassphrase: string | undefined;
  /** Vault: the 4-character BIN controller id that starts every PAR (required outside sandbox). */
  readonly binControllerId: string | undefined;
  /** Vault: how many unwrapped data keys one process keeps in memory. */
  readonly dekCacheSize: number;
  /** Vault: how long a replaced TSP JOSE key stays published in the JWKS. */
  readonly tspKeyGraceMs: number;
  /** Idempotency-Key answers are replayed this long, then purged (DESIGN §4: 24 h). */
  readonly idempotencyRetentionMs: number;
  /** Webhooks: retry budget, backoff, per-request timeout and worker settings (docs/operations.md). */
  readonly webhooks: WebhookConfig;
  /** Identity and access: access tokens, secret hashing, registry refresh, rate limits. */
  readonly identity: IdentityConfig;
  /** Payments: cryptogram lifetime and the detokenize hot-path caches. */
  readonly payments: PaymentsConfig;
  /** Tokens: issuer decision timeout, ID&V OTP limits, card-data JWE age (docs/operations.md). */
  readonly tokens: TokensConfig;
  /** Token push: push-receipt lifetime and the redemption-failure budget (docs/operations.md). */
  readonly push: PushConfig;
  /** The built token console served at `/console` (`OPENTSP_CONSOLE_DIR`; default packages/console/dist). */
  readonly consoleDir: string;
  /**
   * Internal networks the TSP may post webhooks and issuer calls to in production (SSRF guard,
   * util/outbound-guard.ts); loopback, link-local and private ranges are refused otherwise.
   */
  readonly outboundAllowCidrs: BlockList;
  /**
   * Which proxies in front of the TSP to believe about the caller's address (`OPENTSP_TRUST_PROXY`,
   * Express's `trust proxy`): `false` (the socket peer is the caller), a hop count, or the
   * proxies' addresses / CIDR blocks. Decides the source the token endpoint's limits count by.
   */
  readonly trustProxy: TrustProxy;
  /** Token expiry renewal and the grace window of a replaced expiry (docs/operations.md). */
  readonly tokenExpiry: TokenExpiryConfig;
  /** Audit log: signed checkpoints of its keyed chain (docs/operations.md, DESIGN §4). */
  readonly audit: AuditConfig;
}

/** Signed audit checkpoints: how often, and the file outside the database they also go to. */
export interface AuditConfig {
  /** `OPENTSP_AUDIT_CHECKPOINT_INTERVAL_SECONDS` (default 300; 0 = only on demand). */
  readonly checkpointIntervalMs: number;
  /** `OPENTSP_AUDIT_CHECKPOINT_FILE`: every checkpoint is appended here too (a WORM volume, a shipped log). */
  readonly checkpointFile: string | undefined;
}

/** Token expiry changes (card reissue, scheduled renewal; DESIGN §2 flow 5). */
export interface TokenExpiryConfig {
  /** Detokenization accepts a token's previous expiry this long after it changed. */
  readonly graceDays: number;
  /** The renewal job renews a token whose expiry ends within this many days. */
  readonly renewalLeadDays: number;
}


/** Token push settings (push receipts, DESIGN §2 flow 4). */
export interface PushConfig {
  /** Lifetime of a push receipt when the issuer gives no `ttlSeconds` (MDES Token Connect: 15 min). */
  readonly receiptDefaultTtlSeconds: number;
  /** The longest `ttlSeconds` an issuer may ask for (the contract allows at most 3600). */
  readonly receiptMaxTtlSeconds: number;
  /** Failed redemptions per token requestor and window before every redemption gets 429. */
  readonly redeemFailureBudget: number;
  readonly redeemWindowSeconds: number;
}

/** Provisioning and ID&V settings. */
export interface TokensConfig {
  /** How long the issuer's decision / OTP delivery endpoint may take before stand-in applies. */
  readonly issuerTimeoutMs: number;
  /** How long a one-time code stays valid. */
  readonly otpTtlSeconds: number;
  /** Wrong codes per token, over every challenge and method, before the token is deleted (issue 20). */
  readonly otpMaxAttempts: number;
  /** Code re-sends per token. */
  readonly otpResendLimit: number;
  /** Codes sent per token (new challenges, method switches, re-sends) per `otpSendWindowSeconds`. */
  readonly otpSendLimit: number;
  readonly otpSendWindowSeconds: number;
  /** Oldest `iat` accepted on an `encryptedCard` JWE. */
  readonly jweMaxAgeSeconds: number;
}

/** A rate limit: `points` requests per `seconds` (env `OPENTSP_RATE_LIMIT_<CLASS>=points/seconds`). */
export interface RateLimitPolicy {
  readonly points: number;
  readonly seconds: number;
}

/** Payment credentials and detokenization settings (docs/operations.md). */
export interface PaymentsConfig {
  /** How long a cryptogram may be presented at detokenization after it was issued. */
  readonly cryptogramTtlSeconds: number;
  /** Per-token cryptogram keys (HKDF outputs) kept in memory per process. */
  readonly tokenKeyCacheSize: number;
  /** Unsealed per-client response keys (A256GCMKW) kept in memory per process. */
  readonly clientKeyCacheSize: number;
}

/** Identity and access settings (docs/access-control.md, docs/operations.md). */
export interface IdentityConfig {
  readonly accessTokenTtlSeconds: number;
  /** scrypt cost of client secret hashes: log2 of N (r = 8, p = 1). */
  readonly scryptLog2N: number;
  /** Full reload of the in-memory client registry (a fallback to LISTEN/NOTIFY). */
  readonly registryRefreshMs: number;
  /**
   * Per endpoint class. On the token endpoint, `auth` counts *failed* client authentications
   * per (client id, source address) and `authIp` all requests per source address.
   */
  readonly rateLimits: Readonly<Record<'auth' | 'authIp' | 'guessable' | 'hot' | 'default', RateLimitPolicy>>;
}

function rateVar(env: Env, name: string, points: number, seconds: number): RateLimitPolicy {
  const raw = env[name];
  if (raw === undefined || raw === '') return Object.freeze({ points, seconds });
  const match = /^([1-9][0-9]{0,8})\/([1-9][0-9]{0,5})$/.exec(raw);
  if (!match) throw new ConfigError(`${name} must be <requests>/<seconds>, e.g. 600/60; got "${raw}"`);
  return Object.freeze({ points: Number(match[1]), seconds: Number(match[2]) });
}

/** Webhook delivery settings (the outbox worker). */
export interface WebhookConfig {
  /** HTTP attempts per delivery before it is `dead`. */
  readonly maxAttempts: number;
  /** Delay before the 2nd attempt; it doubles per attempt (±20 % jitter) up to `backoffMaxMs`. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** Per-request timeout; the contract gives receivers 10 s to answer. */
  readonly timeoutMs: number;
  /** Deliveries in flight at once per process. */
  readonly concurrency: number;
  /** How often the worker looks for due retries (new jobs arrive by LISTEN/NOTIFY). */
  readonly pollIntervalMs: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

type Env = Record<string, string | undefined>;

function intVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}; got "${raw}"`);
  }
  return value;
}

function boolVar(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be true or false; got "${raw}"`);
}

// EMVCo assigns BIN controller ids: 4 upper-case alphanumerics that start every PAR.
function binControllerVar(env: Env): string | undefined {
  const raw = env.OPENTSP_BIN_CONTROLLER_ID;
  if (raw === undefined || raw === '') return undefined;
  if (!/^[A-Z0-9]{4}$/.test(raw)) throw new ConfigError('OPENTSP_BIN_CONTROLLER_ID must be 4 upper-case letters or digits');
  return raw;
}

// Exact origins only (scheme://host[:port]): a wildcard would open the API to every web page.
function corsOriginsVar(env: Env): readonly string[] {
  const raw = env.OPENTSP_CORS_ORIGINS;
  if (raw === undefined || raw.trim() === '') return Object.freeze([]);
  const origins = raw.split(',').map((o) => o.trim()).filter(Boolean);
  for (const origin of origins) {
    if (!/^https?:\/\/[a-z0-9.-]+(:[0-9]{1,5})?$/i.test(origin)) {
      throw new ConfigError(`OPENTSP_CORS_ORIGINS must be comma-separated origins like https://wallet.example; got "${origin}"`);
    }
  }
  return Object.freeze(origins);
}

function outboundAllowVar(env: Env): BlockList {
  try {
    return parseCidrList(env.OPENTSP_OUTBOUND_ALLOW_CIDRS);
  } catch (err) {
    throw new ConfigError(`OPENTSP_OUTBOUND_ALLOW_CIDRS must be comma-separated CIDR blocks like 10.20.0.0/16; ${(err as Error).message}`);
  }
}

function trustProxyVar(env: Env): TrustProxy {
  try {
    return parseTrustProxy(env.OPENTSP_TRUST_PROXY);
  } catch (err) {
    throw new ConfigError(`OPENTSP_TRUST_PROXY must be ${(err as Error).message}`);
  }
}

function pushConfig(env: Env): PushConfig {
  const receiptMaxTtlSeconds = intVar(env, 'OPENTSP_PUSH_RECEIPT_MAX_TTL_SECONDS', 3_600, 60, 3_600);
  const receiptDefaultTtlSeconds = intVar(env, 'OPENTSP_PUSH_RECEIPT_TTL_SECONDS', Math.min(900, receiptMaxTtlSeconds), 60, 3_600);
  if (receiptDefaultTtlSeconds > receiptMaxTtlSeconds) {
    throw new ConfigError('OPENTSP_PUSH_RECEIPT_TTL_SECONDS must not exceed OPENTSP_PUSH_RECEIPT_MAX_TTL_SECONDS');
  }
  return Object.freeze({
    receiptDefaultTtlSeconds,
    receiptMaxTtlSeconds,
    redeemFailureBudget: intVar(env, 'OPENTSP_PUSH_REDEEM_FAILURE_BUDGET', 20, 1, 1_000_000),
    redeemWindowSeconds: intVar(env, 'OPENTSP_PUSH_REDEEM_WINDOW_SECONDS', 600, 1, 86_400),
  });
}

/** Parses the environment into a frozen `Config`; throws `ConfigError` with a clear message. */
export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const modeRaw = env.OPENTSP_MODE ?? 'production';
  if (modeRaw !== 'sandbox' && modeRaw !== 'production') {
    throw new ConfigError(`OPENTSP_MODE must be "sandbox" or "production"; got "${modeRaw}"`);
  }
  const mode: Mode = overrides.mode ?? modeRaw;
  const port = intVar(env, 'PORT', 8080, 0, 65535);
  const host = env.HOST || '127.0.0.1';
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must be a postgres:// connection string');
  }
  if (mode === 'production' && !databaseUrl && !overrides.databaseUrl) {
    throw new ConfigError(
      'DATABASE_URL is required in production mode; run with --sandbox (or OPENTSP_MODE=sandbox) to use an embedded Postgres',
    );
  }
  const databaseOwnerUrl = env.DATABASE_OWNER_URL || undefined;
  if (databaseOwnerUrl) {
    // Two roles (DESIGN §4): migrations as the owner, the service as a role that cannot rewrite the audit log.
    if (!/^postgres(ql)?:\/\//.test(databaseOwnerUrl)) throw new ConfigError('DATABASE_OWNER_URL must be a postgres:// connection string');
    if (!databaseUrl) throw new ConfigError('DATABASE_OWNER_URL is set but DATABASE_URL (the service role) is not');
    if (!new URL(databaseUrl).username) throw new ConfigError('DATABASE_URL must name its user (the service role) when DATABASE_OWNER_URL is set');
    if (new URL(databaseUrl).username === new URL(databaseOwnerUrl).username) {
      throw new ConfigError('DATABASE_URL and DATABASE_OWNER_URL must connect as different roles: the service role may not own the schema');
    }
  }
  const databaseReadUrl = env.DATABASE_READ_URL || undefined;
  if (databaseReadUrl && !/^postgres(ql)?:\/\//.test(databaseReadUrl)) throw new ConfigError('DATABASE_READ_URL must be a postgres:// connection string');
  if (databaseReadUrl && !databaseUrl && !overrides.databaseUrl) throw new ConfigError('DATABASE_READ_URL is set but DATABASE_URL (the leader) is not');
  const tspCode = env.OPENTSP_TSP_CODE || '401';
  if (!/^[0-9]{3}$/.test(tspCode)) throw new ConfigError('OPENTSP_TSP_CODE must be 3 digits');

  const config: Config = {
    mode,
    host,
    port,
    publicUrl: (env.OPENTSP_PUBLIC_URL || `http://localhost:${port}`).replace(/\/$/, ''),
    databaseUrl,
    ...(databaseOwnerUrl ? { databaseOwnerUrl } : {}),
    databasePoolSize: intVar(env, 'DATABASE_POOL_SIZE', 10, 1, 200),
    ...(databaseReadUrl ? { databaseReadUrl } : {}),
    readMaxLagMs: intVar(env, 'OPENTSP_READ_MAX_LAG_MS', 2_000, 0, 3_600_000),
    readLagCheckMs: intVar(env, 'OPENTSP_READ_LAG_CHECK_MS', 1_000, 100, 60_000),
    dataDir: path.resolve(env.OPENTSP_DATA_DIR || path.join(REPO_ROOT, '.data')),
    logLevel: env.LOG_LEVEL || 'info',
    tspCode,
    validateResponses: boolVar(env, 'OPENTSP_VALIDATE_RESPONSES', false),
    shutdownGraceMs: intVar(env, 'OPENTSP_SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    corsOrigins: corsOriginsVar(env),
    headersTimeoutMs: intVar(env, 'OPENTSP_HEADERS_TIMEOUT_MS', 10_000, 100, 120_000),
    requestTimeoutMs: intVar(env, 'OPENTSP_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
    keystorePath: env.OPENTSP_KEYSTORE_PATH ? path.resolve(env.OPENTSP_KEYSTORE_PATH) : undefined,
    keystorePassphrase: env.OPENTSP_KEYSTORE_PASSPHRASE || undefined,
    binControllerId: binControllerVar(env),
    dekCacheSize: intVar(env, 'OPENTSP_DEK_CACHE_SIZE', 10_000, 1, 10_000_000),
    tspKeyGraceMs: intVar(env, 'OPENTSP_TSP_KEY_GRACE_HOURS', 168, 0, 24 * 365) * 3600_000,
    idempotencyRetentionMs: intVar(env, 'OPENTSP_IDEMPOTENCY_RETENTION_HOURS', 24, 1, 24 * 30) * 3600_000,
    webhooks: Object.freeze({
      maxAttempts: intVar(env, 'OPENTSP_WEBHOOK_MAX_ATTEMPTS', 12, 1, 100),
      backoffBaseMs: intVar(env, 'OPENTSP_WEBHOOK_BACKOFF_BASE_MS', 30_000, 1, 3_600_000),
      backoffMaxMs: intVar(env, 'OPENTSP_WEBHOOK_BACKOFF_MAX_MS', 6 * 3600_000, 1, 7 * 24 * 3600_000),
      timeoutMs: intVar(env, 'OPENTSP_WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000),
      concurrency: intVar(env, 'OPENTSP_WEBHOOK_CONCURRENCY', 8, 1, 100),
      pollIntervalMs: intVar(env, 'OPENTSP_WEBHOOK_POLL_INTERVAL_MS', 2_000, 10, 60_000),
    }),
    tokens: Object.freeze({
      issuerTimeoutMs: intVar(env, 'OPENTSP_ISSUER_TIMEOUT_MS', 3_000, 50, 30_000),
      otpTtlSeconds: intVar(env, 'OPENTSP_OTP_TTL_SECONDS', 300, 1, 3_600),
      otpMaxAttempts: intVar(env, 'OPENTSP_OTP_MAX_ATTEMPTS', 5, 1, 20),
      otpResendLimit: intVar(env, 'OPENTSP_OTP_RESEND_LIMIT', 3, 0, 20),
      otpSendLimit: intVar(env, 'OPENTSP_OTP_SEND_LIMIT', 5, 1, 100),
      otpSendWindowSeconds: intVar(env, 'OPENTSP_OTP_SEND_WINDOW_SECONDS', 900, 1, 86_400),
      jweMaxAgeSeconds: intVar(env, 'OPENTSP_CARD_JWE_MAX_AGE_SECONDS', 600, 30, 86_400),
    }),
    push: pushConfig(env),
    outboundAllowCidrs: outboundAllowVar(env),
    trustProxy: trustProxyVar(env),
    tokenExpiry: Object.freeze({
      graceDays: intVar(env, 'OPENTSP_TOKEN_EXPIRY_GRACE_DAYS', 30, 0, 366),
      renewalLeadDays: intVar(env, 'OPENTSP_TOKEN_RENEWAL_LEAD_DAYS', 30, 1, 365),
    }),
    audit: Object.freeze({
      checkpointIntervalMs: intVar(env, 'OPENTSP_AUDIT_CHECKPOINT_INTERVAL_SECONDS', 300, 0, 86_400) * 1000,
      checkpointFile: env.OPENTSP_AUDIT_CHECKPOINT_FILE ? path.resolve(env.OPENTSP_AUDIT_CHECKPOINT_FILE) : undefined,
    }),
    // Read at request time, not here: the console may be built after the TSP started.
    consoleDir: path.resolve(env.OPENTSP_CONSOLE_DIR || path.join(REPO_ROOT, 'packages', 'console', 'dist')),
    payments: Object.freeze({
      cryptogramTtlSeconds: intVar(env, 'OPENTSP_CRYPTOGRAM_TTL_SECONDS', 600, 10, 86_400),
      tokenKeyCacheSize: intVar(env, 'OPENTSP_TOKEN_KEY_CACHE_SIZE', 100_000, 1, 10_000_000),
      clientKeyCacheSize: intVar(env, 'OPENTSP_CLIENT_KEY_CACHE_SIZE', 1_000, 1, 1_000_000),
    }),
    identity: Object.freeze({
      accessTokenTtlSeconds: intVar(env, 'OPENTSP_ACCESS_TOKEN_TTL_SECONDS', 900, 60, 86_400),
      // Sandbox hashes are cheaper (start-up, tests); hashes record their cost, so both verify.
      scryptLog2N: intVar(env, 'OPENTSP_SCRYPT_LOG2_N', mode === 'sandbox' ? 12 : 14, 10, 20),
      registryRefreshMs: intVar(env, 'OPENTSP_REGISTRY_REFRESH_MS', 30_000, 1_000, 3_600_000),
      rateLimits: Object.freeze({
        auth: rateVar(env, 'OPENTSP_RATE_LIMIT_AUTH', 20, 60),
        authIp: rateVar(env, 'OPENTSP_RATE_LIMIT_AUTH_IP', 60, 60),
        guessable: rateVar(env, 'OPENTSP_RATE_LIMIT_GUESSABLE', 600, 60),
        hot: rateVar(env, 'OPENTSP_RATE_LIMIT_HOT', 10_000, 1),
        default: rateVar(env, 'OPENTSP_RATE_LIMIT_DEFAULT', 1_000, 1),
      }),
    }),
    ...overrides,
  };
  return Object.freeze(config);
}

/** Where openapi/tsp.yaml lives, for the validator and `/openapi.json`. */
export const OPENAPI_SPEC_PATH = path.join(REPO_ROOT, 'openapi', 'tsp.yaml');
