import client from 'prom-client';
import type { Metrics } from './metrics';

/**
 * The product areas' own Prometheus metrics, registered in the process's registry. They live
 * here, not in the areas, so the domain depends on these small shapes and never on prom-client.
 */

export interface WebhookMetrics {
  /** Attempts and their end states: delivered, retry_scheduled, dead, no_webhook_url. */
  readonly outcomes: client.Counter<'outcome'>;
  /** HTTP attempt latency by result: success, http_error, timeout, network_error. */
  readonly latency: client.Histogram<'result'>;
}

export function webhookMetrics(metrics: Metrics): WebhookMetrics {
  const { registry } = metrics;
  // Several service instances may share one registry (tests); reuse what is registered.
  const outcomes =
    (registry.getSingleMetric('opentsp_webhook_deliveries_total') as client.Counter<'outcome'> | undefined) ??
    new client.Counter({
      name: 'opentsp_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome (delivered, retry_scheduled, dead, no_webhook_url)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    });
  const latency =
    (registry.getSingleMetric('opentsp_webhook_delivery_duration_seconds') as client.Histogram<'result'> | undefined) ??
    new client.Histogram({
      name: 'opentsp_webhook_delivery_duration_seconds',
      help: 'Webhook HTTP attempt duration by result (success, http_error, timeout, network_error)',
      labelNames: ['result'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  return { outcomes, latency };
}

/** Counts detokenization requests by outcome (granted or the refusal code); returns the counting function. */
export function detokenizeOutcomeCounter(metrics: Metrics): (outcome: string) => void {
  const outcomes = new client.Counter({
    name: 'opentsp_detokenize_total',
    help: 'Detokenization requests by outcome (granted or the refusal code).',
    labelNames: ['outcome'] as const,
    registers: [metrics.registry],
  });
  return (outcome) => outcomes.inc({ outcome });
}
