import express, { Router } from 'express';
import type { Config } from '../../config';
import { AccessError, NotFoundError, UnavailableError, ValidationError } from '../../errors';
import type { SandboxConsole } from './console-sandbox';
import { consoleStatic } from './console-static';

export interface ConsoleRouteDependencies {
  config: Pick<Config, 'consoleDir'>;
  /** Present in sandbox mode only: without it the sandbox endpoints are 404. */
  sandbox: SandboxConsole | undefined;
}

/** A webhook body is a small JSON document; the API's own limit applies. */
const SINK_BODY_LIMIT = '64kb';

/**
 * The token console (docs/operations.md "Console"): the built web app at `/console`, and in
 * sandbox mode the demo's credentials (`/console/sandbox.json`), webhook sink
 * (`/console/sandbox/webhooks`) and phone (`/console/sandbox/phone`: the step-up codes the issuer
 * simulator received). Outside the REST contract, so mounted before the OpenAPI
 * validator and authentication; the console itself signs in through `POST /oauth2/token`.
 *
 * The sandbox endpoints answer without authentication because they exist only in sandbox mode,
 * whose credentials are printed on start-up anyway; production answers 404 for them.
 */
export function consoleRoutes(deps: ConsoleRouteDependencies): Router {
  const router = Router();
  router.use(['/console/sandbox.json', '/console/sandbox'], sandboxRoutes(deps.sandbox));
  router.use(consoleStatic(deps.config.consoleDir));
  return router;
}

function sandboxRoutes(sandbox: SandboxConsole | undefined): Router {
  const router = Router();
  if (!sandbox) {
    router.use(() => {
      throw new NotFoundError('not_found', 'The sandbox console endpoints exist in sandbox mode only.');
    });
    return router;
  }
  router.use((_req, res, next) => {
    // Client secrets and live webhook bodies: never kept by a browser or proxy cache.
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  // Mounted at /console/sandbox.json and /console/sandbox, so the paths here are relative.
  router.get('/', (req, res) => {
    if (req.baseUrl !== '/console/sandbox.json') throw notFound();
    const view = sandbox.view();
    if (!view) {
      res.setHeader('Retry-After', '2');
      throw new UnavailableError('service_unavailable', 'The sandbox is still starting: its demo parties are not registered yet.');
    }
    res.json(view);
  });

  router.get('/webhooks', (req, res) => {
    res.json({ data: sandbox.sink.list(afterOf(req.query.after)) });
  });

  // The sandbox phone: the codes the issuer simulator delivered, as the cardholder would read them.
  router.get('/phone', (req, res) => {
    const phone = sandbox.phone();
    if (!phone) throw new NotFoundError('not_found', 'No sandbox phone: the issuer simulator runs with `opentsp serve --sandbox` only.');
    const tokenRef = typeof req.query.tokenRef === 'string' ? req.query.tokenRef : undefined;
    res.json({ data: phone.messages().filter((m) => !tokenRef || m.tokenRef === tokenRef) });
  });

  router.post('/webhooks', express.raw({ type: () => true, limit: SINK_BODY_LIMIT }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const entry = await sandbox.sink.receive(raw, req.get('opentsp-signature'));
    if (!entry) throw new ValidationError('malformed_json', 'A webhook body is a JSON object.');
    // As docs/webhooks.md asks of receivers: 2xx only for a verified signature, so the TSP's
    // retry and dead-letter handling shows in the demo when a signature is wrong.
    if (!entry.signatureValid) throw new AccessError('unauthorized', 'OpenTSP-Signature does not verify over this body.');
    res.status(204).end();
  });

  router.use(() => {
    throw notFound();
  });
  return router;
}

function notFound(): NotFoundError {
  return new NotFoundError('not_found', 'No such sandbox console endpoint.');
}

/** `?after=<seq>`: the last sequence number the console has seen (0 or absent: everything kept). */
function afterOf(raw: unknown): number {
  if (raw === undefined || raw === '') return 0;
  const value = typeof raw === 'string' && /^[0-9]{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw new ValidationError('validation_failed', 'after must be a non-negative integer.', {
      errors: [{ path: '/query/after', message: 'must be a non-negative integer' }],
    });
  }
  return value;
}
