import autocannon from 'autocannon';
import * as hdr from 'hdr-histogram-js';

/** One measured load run against 127.0.0.1. */
export interface LoadResult {
  name: string;
  connections: number;
  /** Fixed request rate, when the run was rate-limited instead of closed-loop. */
  rate?: number;
  durationSeconds: number;
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export interface LoadOptions {
  name: string;
  url: string;
  connections: number;
  durationSeconds: number;
  /** Requests per second for the whole run (autocannon's overallRate); closed loop when absent. */
  rate?: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** A fixed body, or a function giving each request its own (e.g. a fresh cryptogram). */
  body?: string | (() => string);
  /** Expected status (default 200); anything else counts as an error. */
  expectStatus?: number;
  /** Each request's path (on the URL's host), e.g. spread over many tokens; with `body` a function only. */
  path?: () => string;
}

/**
 * Runs autocannon for a fixed time at a fixed concurrency (or a fixed rate). Bounded: it stops
 * by itself after `durationSeconds`, and only ever targets the URL given (127.0.0.1).
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  if (!/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(options.url)) {
    throw new Error(`load tests only target 127.0.0.1; refusing ${options.url}`);
  }
  const expect = options.expectStatus ?? 200;
  let non2xx = 0;
  const body = options.body;
  // Our own latency histogram (same settings as autocannon's) so we can read p95 from it.
  const latencies = hdr.build({
    bitBucketSize: 64,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 10000,
    numberOfSignificantValueDigits: 5,
  });
  const result = await autocannon({
    histograms: { latencies },
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    ...(options.rate ? { overallRate: options.rate } : {}),
    method: options.method ?? 'GET',
    headers: { 'content-type': 'application/json', ...options.headers },
    ...(typeof body === 'string' ? { body } : {}),
    ...(typeof body === 'function'
      ? { setupClient: (client: autocannon.Client) => client.setBody(body()), requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, body: body(), ...(options.path ? { path: options.path() } : {}) }) }] }
      : {}),
  } as autocannon.Options);
  non2xx = Object.entries(result.statusCodeStats ?? {})
    .filter(([code]) => Number(code) !== expect)
    .reduce((sum, [, stat]) => sum + (stat as { count: number }).count, 0);
  return {
    name: options.name,
    connections: options.connections,
    ...(options.rate ? { rate: options.rate } : {}),
    durationSeconds: options.durationSeconds,
    requests: result.requests.total,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p95: latencies.getValueAtPercentile(95),
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx,
  };
}
