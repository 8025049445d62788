import path from 'node:path';
import express, { Router } from 'express';
import type { Metrics } from '../../observability/metrics';
import { problemFor, sendProblem } from '../problem';

export interface SystemRouteDependencies {
  metrics: Metrics;
  /** The contract, already parsed, served as `/openapi.json`. */
  spec: unknown;
  /** Resolves when the service can serve traffic (database reachable). */
  ready: () => Promise<void>;
}

const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));

/**
 * Probes, metrics and the API reference. No authentication: they hold nothing secret.
 * `/healthz` says the process is alive; `/readyz` says it can do useful work.
 */
export function systemRoutes(deps: SystemRouteDependencies): Router {
  const router = Router();
  const specJson = JSON.stringify(deps.spec);

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (req, res) => {
    try {
      await deps.ready();
      res.json({ status: 'ready', checks: { database: 'ok' } });
    } catch {
      res.setHeader('Retry-After', '5');
      sendProblem(
        res,
        problemFor('service_unavailable', 'The database is not reachable.', {
          requestId: res.locals.requestId as string | undefined,
          instance: req.path,
        }, { checks: { database: 'unavailable' } }),
      );
    }
  });

  router.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(specJson);
  });

  router.get('/docs', (_req, res) => {
    res.type('text/html').send(DOCS_PAGE);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(DOCS_INIT);
  });
  router.use('/docs/assets', express.static(SWAGGER_UI_DIR, { index: false, maxAge: '1h' }));

  return router;
}

// Served from our own origin (no CDN): the reference works offline and under a strict CSP.
const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>OpenTSP API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="reference"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

const DOCS_INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#reference',
  deepLinking: true,
  persistAuthorization: false,
  tryItOutEnabled: true
});
`;
