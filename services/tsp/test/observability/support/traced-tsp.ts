/**
 * Child process of tracing.test.ts: a real TSP started the way the CLI starts it (tracing first,
 * then the server), with spans kept in memory. It makes a few requests against itself, then
 * writes the finished spans as JSON to `SPANS_FILE` and stops. A separate process because
 * OpenTelemetry patches modules as node loads them, which jest's own module registry bypasses.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { flushTraces, startTracing } from '../../../src/observability/tracing';

async function main(): Promise<void> {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing(process.env, { spanProcessor: new SimpleSpanProcessor(exporter) });
  // Loaded only now, after the instrumentations are in place (as the CLI's preload does).
  const { loadConfig } = await import('../../../src/config');
  const { startTsp } = await import('../../../src/server');
  const tsp = await startTsp(loadConfig(process.env, { port: 0 }));
  try {
    const sandbox = JSON.parse(readFileSync(path.join(process.env.OPENTSP_DATA_DIR as string, 'sandbox.json'), 'utf8'));
    const basic = Buffer.from(`${sandbox.wallet.clientId}:${sandbox.wallet.clientSecret}`).toString('base64');
    const tokenRes = await fetch(`${tsp.url}/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const list = await fetch(`${tsp.url}/v1/tokens?walletAccountId=wa-tracing-1`, { headers: { authorization: `Bearer ${access_token}` } });
    if (list.status !== 200) throw new Error(`token list answered ${list.status}`);
    await fetch(`${tsp.url}/healthz`);
  } finally {
    await tsp.stop();
  }
  // Read before shutdown: shutting the SDK down empties the in-memory exporter.
  await flushTraces();
  const spans = exporter.getFinishedSpans().map((s) => ({
    name: s.name,
    kind: s.kind,
    traceId: s.spanContext().traceId,
    spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanContext?.spanId,
    scope: s.instrumentationScope.name,
    attributes: s.attributes,
  }));
  writeFileSync(process.env.SPANS_FILE as string, JSON.stringify(spans));
  await tracing?.shutdown();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`traced-tsp: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
