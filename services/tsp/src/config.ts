import path from 'node:path';

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
  readonly databasePoolSize: number;
  /** Where sandbox state lives: the embedded database, the sandbox keystore, sandbox.json. */
  readonly dataDir: string;
  readonly logLevel: string;
  /** 3-digit code of this TSP, the first three digits of every TRID it allocates. */
  readonly tspCode: string;
  /** Validate responses against openapi/tsp.yaml too (tests and development; costs CPU). */
  readonly validateResponses: boolean;
  /** How long a graceful shutdown may take before open connections are cut. */
  readonly shutdownGraceMs: number;
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
  const tspCode = env.OPENTSP_TSP_CODE || '401';
  if (!/^[0-9]{3}$/.test(tspCode)) throw new ConfigError('OPENTSP_TSP_CODE must be 3 digits');

  const config: Config = {
    mode,
    host,
    port,
    publicUrl: (env.OPENTSP_PUBLIC_URL || `http://localhost:${port}`).replace(/\/$/, ''),
    databaseUrl,
    databasePoolSize: intVar(env, 'DATABASE_POOL_SIZE', 10, 1, 200),
    dataDir: path.resolve(env.OPENTSP_DATA_DIR || path.join(REPO_ROOT, '.data')),
    logLevel: env.LOG_LEVEL || 'info',
    tspCode,
    validateResponses: boolVar(env, 'OPENTSP_VALIDATE_RESPONSES', false),
    shutdownGraceMs: intVar(env, 'OPENTSP_SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    ...overrides,
  };
  return Object.freeze(config);
}

/** Where openapi/tsp.yaml lives, for the validator and `/openapi.json`. */
export const OPENAPI_SPEC_PATH = path.join(REPO_ROOT, 'openapi', 'tsp.yaml');
