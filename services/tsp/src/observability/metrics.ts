import client from 'prom-client';
import type { RequestHandler } from 'express';

/**
 * Prometheus metrics of one TSP process, in a registry of its own (several apps may live in
 * one test process). Feature code adds its own metrics to `registry`.
 */
export interface Metrics {
  readonly registry: client.Registry;
  readonly httpRequests: client.Histogram<'method' | 'route' | 'status'>;
  /** Risk engine outcomes by decision kind: the dashboard's decline rate and its alert. */
  readonly riskDecisions: client.Counter<'kind' | 'outcome'>;
}

export function createMetrics(): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'opentsp_' });
  const httpRequests = new client.Histogram({
    name: 'opentsp_http_request_duration_seconds',
    help: 'HTTP request duration by route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const riskDecisions = new client.Counter({
    name: 'opentsp_risk_decisions_total',
    help: 'Risk engine decisions by kind (provisioning, push_redemption, detokenization) and outcome (approve, step_up, decline)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  return { registry, httpRequests, riskDecisions };
}

/**
 * Times every request. The label is the route template from the OpenAPI match (never the raw
 * path: token references in paths would explode the label space).
 */
export function requestTimer(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpRequests.startTimer();
    res.on('finish', () => {
      const openapi = (req as { openapi?: { openApiRoute?: string } }).openapi;
      end({ method: req.method, route: openapi?.openApiRoute ?? 'unmatched', status: String(res.statusCode) });
    });
    next();
  };
}
