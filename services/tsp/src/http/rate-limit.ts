import type { Request, RequestHandler, Response } from 'express';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Services } from '../compose';
import type { RateLimitPolicy } from '../config';
import type { ServiceContext } from '../context';
import { TspError, UnavailableError } from '../domain/errors';
import { principalOf } from './auth';

/**
 * Rate limits per client and per endpoint class (DESIGN §5), with the IETF RateLimit headers
 * (draft-ietf-httpapi-ratelimit-headers) on every limited response and 429 `rate_limited` +
 * `Retry-After` when the quota is spent:
 *
 * | class | endpoints | key | store |
 * |---|---|---|---|
 * | `auth` | `POST /oauth2/token` | client id AND caller IP (two quotas) | Postgres: exact across processes, bounds secret guessing |
 * | `guessable` | push receipt redemption, OTP confirm | client | Postgres: exact across processes |
 * | `hot` | detokenize, payment credentials | client | memory, per process (no DB round trip) |
 * | `default` | everything else | client, or IP when anonymous | memory, per process |
 *
 * Per-process quotas are budgets per process: with N processes a client may get N times the
 * quota (docs/access-control.md). Limits come from config (`OPENTSP_RATE_LIMIT_<CLASS>`).
 */
type LimitClass = 'auth' | 'authIp' | 'guessable' | 'hot' | 'default';

const HOT_OPERATIONS = new Set(['detokenize', 'createPaymentCredentials']);
const CLIENT_ID = /^cli_[A-Za-z0-9]{16,40}$/;

function classOf(req: Request): LimitClass {
  const operationId = (req as Request & { openapi?: { schema?: { operationId?: string } } }).openapi?.schema?.operationId;
  if (operationId === 'createAccessToken') return 'auth';
  if (operationId === 'confirmVerification') return 'guessable';
  if (operationId === 'createToken' && typeof (req.body as { pushReceipt?: unknown } | undefined)?.pushReceipt === 'string') return 'guessable';
  if (operationId && HOT_OPERATIONS.has(operationId)) return 'hot';
  return 'default';
}

/** The client a token request claims to be (unverified: only a rate-limit key). */
function claimedClientId(req: Request): string {
  const header = req.get('authorization');
  let claimed: unknown;
  if (header && /^basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    claimed = decoded.slice(0, Math.max(0, decoded.indexOf(':')));
  } else {
    const form = (req.body ?? {}) as { client_id?: unknown; client_assertion?: unknown };
    claimed = form.client_id;
    if (claimed === undefined && typeof form.client_assertion === 'string') {
      try {
        claimed = (JSON.parse(Buffer.from(form.client_assertion.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss?: unknown }).iss;
      } catch {
        claimed = undefined;
      }
    }
  }
  // Arbitrary strings share one bucket: they cannot name a real client anyway.
  return typeof claimed === 'string' && CLIENT_ID.test(claimed) ? claimed : 'unknown';
}

function setHeaders(res: Response, name: string, policy: RateLimitPolicy, state: RateLimiterRes): void {
  const reset = Math.max(0, Math.ceil(state.msBeforeNext / 1000));
  res.setHeader('RateLimit-Policy', `"${name}";q=${policy.points};w=${policy.seconds}`);
  res.setHeader('RateLimit', `"${name}";r=${Math.max(0, state.remainingPoints)};t=${reset}`);
}

export function rateLimit(_services: Services, ctx: ServiceContext): RequestHandler {
  const policies = ctx.config.identity.rateLimits;
  const limiters = {} as Record<LimitClass, RateLimiterAbstract>;
  for (const name of Object.keys(policies) as LimitClass[]) {
    const { points, seconds: duration } = policies[name];
    const keyPrefix = `opentsp:${name}`;
    limiters[name] =
      name === 'auth' || name === 'authIp' || name === 'guessable'
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
    if (limitClass === 'auth') {
      // The token endpoint is never replayed from the idempotency store (the next middleware):
      // its key is scoped to "anonymous", so a replay would hand one client's access token to
      // anyone repeating the key. Every call mints a fresh token instead (safe to retry).
      delete req.headers['idempotency-key'];
      await consume(res, 'authIp', ip, 'auth-ip');
      await consume(res, 'auth', claimedClientId(req), 'auth');
    } else {
      await consume(res, limitClass, principalOf(res)?.clientId ?? ip, limitClass);
    }
    next();
  };
}
