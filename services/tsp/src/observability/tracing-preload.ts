import { startTracing, type Tracing } from './tracing';

/**
 * Imported first by the CLI entry (before express, pg and pino load) so OpenTelemetry's
 * instrumentations can patch them. Starts nothing unless the `OTEL_*` variables ask for traces.
 */
export const tracing: Tracing | undefined = startTracing(process.env);
