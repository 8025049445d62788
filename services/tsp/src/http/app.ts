import express, { type Express, type Response } from 'express';
import helmet from 'helmet';
import * as OpenApiValidator from 'express-openapi-validator';
import { pinoHttp } from 'pino-http';
import type { ServiceContext } from '../context';
import { requestTimer } from '../observability/metrics';
import { authenticate, principalOf } from './auth';
import { rateLimit } from './rate-limit';
import { enforceContractSecurity } from './contract-security';
import { errorHandler, notImplemented } from './error-handler';
import { cors } from './cors';
import { verifyJsonBody } from './json-body-scan';
import { idempotency } from './idempotency';
import { idempotencyOptions } from './idempotency-store';
import { loadOpenApiSpec, loadValidatorSpec } from './openapi-spec';
import { useOAuthErrors } from './problem';
import { requestId } from './request-id';
import type { ApiServices } from './services';
import { consoleRoutes } from './routes/console.routes';
import { featureRouters } from './routes';
import { systemRoutes } from './routes/system.routes';

export interface AppDependencies extends ServiceContext {
  services: ApiServices;
}

/** Request bodies are small JSON documents; anything larger is refused before parsing. */
const BODY_LIMIT = '64kb';

/**
 * Builds the Express app. No `listen` here (see server.ts), so tests can start it on port 0.
 * Order matters: request id → logging → security headers → the console → body parsing → probes → contract
 * validation → authentication → idempotency → feature routes → 501 for contract paths not built yet → the error handler.
 */
export function createApp(deps: AppDependencies): Express {
  const { config, logger, database, metrics, services } = deps;
  const app = express();
  app.disable('x-powered-by');
  // Which X-Forwarded-For hops to believe (OPENTSP_TRUST_PROXY): `req.ip` is the source
  // address the token endpoint's limits count by, so only configured proxies may set it.
  app.set('trust proxy', config.trustProxy === false ? false : typeof config.trustProxy === 'number' ? config.trustProxy : [...config.trustProxy]);
  app.set('query parser', 'simple');

  app.use(requestId);
  // RFC 6749 §5.2: token endpoint errors are application/json with `error` (problem.ts).
  app.use('/oauth2/token', useOAuthErrors);
  app.use(
    pinoHttp({
      logger,
      genReqId: (_req, res) => (res as unknown as Response).locals.requestId as string,
      // Only method, path and status: bodies and query strings can carry card data.
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: pathForLog(req.url),
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      // 503 is a known, retryable state (database outage, console not built): a warning, not a defect.
      customLogLevel: (_req, res, err) => (res.statusCode === 503 ? 'warn' : err || res.statusCode >= 500 ? 'error' : 'info'),
    }),
  );
  app.use(
    helmet({
      // The API reference (/docs) and the token console (/console) are same-origin pages: their
      // scripts and styles come from this server only and they call only this API.
      contentSecurityPolicy: {
        directives: {
          'default-src': ["'self'"],
          'script-src': ["'self'"],
          'style-src': ["'self'", "'unsafe-inline'"],
          'img-src': ["'self'", 'data:'],
          'connect-src': ["'self'"],
          // A sandbox is often reached over plain http on a LAN address; upgrading its requests
          // to https would break the console there. Production keeps the upgrade.
          'upgrade-insecure-requests': config.mode === 'sandbox' ? null : [],
        },
      },
    }),
  );
  app.use(cors(config.corsOrigins));
  app.use(requestTimer(metrics));
  // The console is not part of the REST contract: it goes before the validator, authentication
  // and notImplemented, and before the JSON parser, because its sandbox webhook sink must
  // verify signatures over the exact bytes received.
  app.use(consoleRoutes({ config, sandbox: services.sandbox }));
  // Depth is checked on the raw bytes before JSON.parse: a 10,000-deep body costs one scan, not a stack overflow.
  app.use(express.json({ limit: BODY_LIMIT, type: ['application/json', 'application/*+json'], verify: verifyJsonBody() }));
  app.use(express.urlencoded({ limit: BODY_LIMIT, extended: false, type: 'application/x-www-form-urlencoded' }));

  const spec = loadOpenApiSpec();
  app.use(systemRoutes({ metrics, spec, ready: () => database.ping() }));

  app.use(
    OpenApiValidator.middleware({
      apiSpec: loadValidatorSpec() as never,
      validateRequests: { allowUnknownQueryParameters: false, removeAdditional: false },
      validateResponses: config.validateResponses ? { removeAdditional: false } : false,
      validateSecurity: false,
      ignoreUndocumented: false,
      ignorePaths: /^\/docs\//,
      $refParser: { mode: 'dereference' },
    }),
  );

  app.use(authenticate(services.identity.authenticator));
  app.use(enforceContractSecurity());
  app.use(rateLimit(services, deps));
  app.use(
    idempotency(services.idempotency, (res) => principalOf(res)?.clientId, logger, idempotencyOptions(services.vault, services.audit, database.db)),
  );
  for (const router of featureRouters(services, deps)) app.use(router);

  // Contract paths without an implementation yet answer 501 with a problem, never a bare 404.
  app.use(notImplemented);
  app.use(errorHandler(logger));
  return app;
}

/**
 * The request path as logged: percent-decoded, then any 12–19 digit run (spaces or dashes
 * allowed) replaced, so a card number pasted into a URL never reaches the logs, however it
 * was encoded (`card%206213…` hides the PAN from a Luhn-based scrubber) — PCI DSS 4.0 3.3/10.
 */
function pathForLog(url: string): string {
  const raw = url.split('?')[0] ?? '';
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    decoded = raw;
  }
  return decoded.replace(/[0-9](?:[ -]?[0-9]){11,18}/g, '[redacted]');
}
