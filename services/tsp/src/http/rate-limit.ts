import type { Request, RequestHandler, Response } from 'express';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { ApiServices } from './services';
import type { RateLimitPolicy } from '../config';
import type { ServiceContext } from '../context';
import { TspError, UnavailableError } from '../errors';
import { principalOf } from './auth';

/**
 * Rate limits per client and per endpoint class (DESIGN §5), with the IETF RateLimit headers
 * (draft-ietf-httpapi-ratelimit-headers) on every limited response and 429 `rate_limited` +
 * `Retry-After` when the quota is spent:
 *
 * | class | endpoints | key | store |
 * |---|---|---|---|
 * | `authIp` | `POST /oauth2/token` | caller IP (source address, see `OPENTSP_TRUST_PROXY`) | Postgres: exact across processes, bounds floods |
 * | `guessable` | push receipt redemption, OTP confirm | client | Postgres: exact across processes |
 * | `hot` | detokenize, payment credentials | client | memory, per process (no DB round trip) |
 * | `default` | everything else | client, or IP when anonymous | memory, per process |
 *
 * Per-process quotas are budgets per process: with N processes a client may get N times the
 * quota (docs/access-control.md). Limits come from config (`OPENTSP_RATE_LIMIT_<CLASS>`).
 *
 * Secret guessing at the token endpoint is bounded by the domain, which alone knows whether an
 * attempt failed: `auth` counts *failed* authentications per (client id, source), so a quota
 * spent before authentication, keyed on an id anyone can claim, cannot lock a client out
 * (domain/identity/token-failure-budget.ts).
 */
type LimitClass = 'authIp' | 'guessable' | 'hot' | 'default';

const HOT_OPERATIONS = new Set(['detokenize', 'createPaymentCredentials']);

function classOf(req: Request): LimitClass {
  const operationId = (req as Request & { openapi?: { schema?: { operationId?: string } } }).openapi?.schema?.operationId;
  if (operationId === 'createAccessToken') return 'authIp';
  if (operationId === 'confirmVerification') return 'guessable';
  if (operationId === 'createToken' && typeof (req.body as { pushReceipt?: unknown } | undefined)?.pushReceipt === 'string') return 'guessable';
  if (operationId && HOT_OPERATIONS.has(operationId)) return 'hot';
  return 'default';
}

function setHeaders(res: Response, name: string, policy: RateLimitPolicy, state: RateLimiterRes): void {
  const reset = Math.max(0, Math.ceil(state.msBeforeNext / 1000));
  res.setHeader('RateLimit-Policy', `"${name}";q=${policy.points};w=${policy.seconds}`);
  res.setHeader('RateLimit', `"${name}";r=${Math.max(0, state.remainingPoints)};t=${reset}`);
}

export function rateLimit(_services: ApiServices, ctx: ServiceContext): RequestHandler {
  const policies = ctx.config.identity.rateLimits;
  const limiters = {} as Record<LimitClass, RateLimiterAbstract>;
  for (const name of ['authIp', 'guessable', 'hot', 'default'] as const) {
    const { points, seconds: duration } = policies[name];
    const keyPrefix = `opentsp:${name}`;
    limiters[name] =
      name === 'authIp' || name === 'guessable'
        ? new RateLimiterPostgres({
            storeClient: ctx.database.pool,
            storeType: 'pool',
            tableName: 'rate_limit_counters',
            tableCreated: true,
            clearExpiredByTimeout: false,
            points,
            duration,
            keyPrefix,
          })
        : new RateLimiterMemory({ points, duration, keyPrefix });
  }

  const consume = async (res: Response, name: LimitClass, key: string, headerName: string) => {
    try {
      setHeaders(res, headerName, policies[name], await limiters[name].consume(key));
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) {
        throw new UnavailableError('service_unavailable', 'The rate limiter is unavailable; retry shortly.');
      }
      setHeaders(res, headerName, policies[name], err);
      const retryAfter = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
      res.setHeader('Retry-After', String(retryAfter));
      throw new TspError('rate_limited', `Rate limit reached; retry in ${retryAfter} seconds.`);
    }
  };

  return async (req, res, next) => {
    const limitClass = classOf(req);
    const ip = `ip:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`;
    if (limitClass === 'authIp') {
      // The token endpoint is never replayed from the idempotency store (the next middleware):
      // its key is scoped to "anonymous", so a replay would hand one client's access token to
      // anyone repeating the key. Every call mints a fresh token instead (safe to retry).
      delete req.headers['idempotency-key'];
      await consume(res, 'authIp', ip, 'auth-ip');
    } else {
      await consume(res, limitClass, principalOf(res)?.clientId ?? ip, limitClass);
    }
    next();
  };
}
