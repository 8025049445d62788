import type { RequestHandler } from 'express';

/**
 * CORS, closed by default. With no configured origins the TSP sends no CORS header at all, so
 * browsers keep the same-origin policy (the console is served from the TSP's own origin).
 * Listed origins (`OPENTSP_CORS_ORIGINS`, for a wallet web app or a console on another host)
 * get exactly their own origin back — never `*`, never credentials — per the Fetch standard's
 * CORS protocol. A preflight from a listed origin ends here with 204.
 */
export function cors(allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(allowedOrigins);
  return (req, res, next) => {
    if (allowed.size === 0) return next();
    const origin = req.get('origin');
    res.vary('Origin');
    if (!origin || !allowed.has(origin)) return next();
    res.setHeader('Access-Control-Allow-Origin', origin);
    // Idempotent-Replayed and X-Request-Id feed the SDK's `lastResponse` in browsers.
    res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id, Retry-After, RateLimit, RateLimit-Policy, Idempotent-Replayed');
    if (req.method === 'OPTIONS' && req.get('access-control-request-method')) {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE');
      // OpenTSP-Client: the wallet SDK names itself with it (browsers refuse a script's User-Agent).
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Idempotency-Key, X-Request-Id, OpenTSP-Client');
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}
