import { trace, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** A running OpenTelemetry SDK; `shutdown` flushes the spans still buffered. */
export interface Tracing {
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** Tests: spans go to this processor (e.g. an in-memory exporter's) instead of OTLP. */
  spanProcessor?: SpanProcessor;
  /** Tests: spans go to this exporter instead of the one `OTEL_TRACES_EXPORTER` names. */
  traceExporter?: SpanExporter;
}

/**
 * True when the standard variables ask for traces: an OTLP endpoint or an explicit traces
 * exporter, and the SDK is not disabled. Off by default: a TSP nobody collects traces from
 * pays nothing for instrumentation (OpenTelemetry SDK environment variable specification).
 */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return false;
  const exporter = (env.OTEL_TRACES_EXPORTER ?? '').trim().toLowerCase();
  if (exporter === 'none') return false;
  return Boolean(exporter || env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts the official Node SDK with the instrumentations the TSP's work crosses: incoming HTTP
 * and Express routes, Postgres queries (pg), outbound calls to issuers and webhook receivers
 * (undici, which backs `fetch`), and pino (trace and span ids in every log line written inside a
 * span). The job queue's tasks are wrapped by `inJobSpan`.
 *
 * Must run before `http`, `express`, `pg` and `pino` are first required: instrumentations patch
 * modules as they load. The CLI entry loads `observability/tracing-preload` first for that.
 * Exporter, endpoint, protocol, service name, sampler and resource come from the standard
 * `OTEL_*` variables, read by the SDK itself.
 */
export function startTracing(env: NodeJS.ProcessEnv = process.env, options: TracingOptions = {}): Tracing | undefined {
  if (!options.spanProcessor && !options.traceExporter && !tracingRequested(env)) return undefined;
  // Traces only, unless asked: metrics stay on Prometheus (/metrics) and logs on stdout (pino),
  // where the SDK would otherwise also start OTLP metric and log exporters by default.
  process.env.OTEL_SERVICE_NAME ||= env.OTEL_SERVICE_NAME || 'opentsp';
  process.env.OTEL_METRICS_EXPORTER ||= env.OTEL_METRICS_EXPORTER || 'none';
  process.env.OTEL_LOGS_EXPORTER ||= env.OTEL_LOGS_EXPORTER || 'none';
  // Loaded only when traces are on: the SDK and instrumentations cost every process (and every
  // test file that loads the TSP) a few hundred milliseconds of CPU to require.
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { ExpressInstrumentation, ExpressLayerType } = require('@opentelemetry/instrumentation-express') as typeof import('@opentelemetry/instrumentation-express');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { PinoInstrumentation } = require('@opentelemetry/instrumentation-pino') as typeof import('@opentelemetry/instrumentation-pino');
  const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
  const sdk = new NodeSDK({
    ...(options.spanProcessor ? { spanProcessors: [options.spanProcessor] } : {}),
    ...(options.traceExporter ? { traceExporter: options.traceExporter } : {}),
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes every few seconds would drown the payment traces.
        ignoreIncomingRequestHook: (req) => /^\/(healthz|readyz|metrics)(\?|$)/.test(req.url ?? ''),
      }),
      // Route handlers only: a span per middleware (helmet, parsers, validator) and router is noise.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER] }),
      // Statement text only, never the bound values (they carry fingerprints and sealed card data);
      // only queries inside a request or job: the background pollers would each make a trace.
      new PgInstrumentation({ enhancedDatabaseReporting: false, requireParentSpan: true }),
      new UndiciInstrumentation(),
      new PinoInstrumentation(),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

const jobTracer = trace.getTracer('opentsp.job-queue');

/**
 * Runs one job-queue task inside a consumer span named after the task (`job webhook.deliver`),
 * so a webhook delivery's HTTP call and queries hang under it. A no-op tracer when tracing is off.
 */
export function inJobSpan<T>(task: string, attempt: number | undefined, run: () => Promise<T>): Promise<T> {
  return jobTracer.startActiveSpan(`job ${task}`, { attributes: { 'messaging.system': 'graphile-worker', 'messaging.operation': 'process', 'opentsp.job.task': task, ...(attempt !== undefined ? { 'opentsp.job.attempt': attempt } : {}) } }, async (span: Span) => {
    try {
      return await run();
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * Exports the spans still buffered (the batch processor sends every few seconds), so the last
 * requests before a graceful stop are not lost. Nothing to do when tracing is off.
 */
export async function flushTraces(): Promise<void> {
  const provider = trace.getTracerProvider() as { getDelegate?: () => unknown };
  const delegate = (provider.getDelegate?.() ?? provider) as { forceFlush?: () => Promise<void> };
  await delegate.forceFlush?.().catch(() => undefined);
}
