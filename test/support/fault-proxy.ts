import http, { type IncomingHttpHeaders, type Server } from 'node:http';

/** One request that went through the proxy, and what happened to it. */
export interface ProxiedExchange {
  method: string;
  /** Path without the query string. */
  path: string;
  idempotencyKey: string | undefined;
  /** What the TSP answered (undefined when the proxy answered without asking it). */
  upstreamStatus: number | undefined;
  /** What the client got. */
  status: number;
  /** The TSP's `Idempotent-Replayed: true`. */
  replayed: boolean;
  /** The problem `code` of a TSP error answer. */
  code: string | undefined;
  /** The client's `User-Agent` and `OpenTSP-Client` (how the SDK names itself). */
  userAgent?: string;
  client?: string;
}

/**
 * A fault: the first `times` requests matching `method` and `path` are answered 503 by the
 * proxy. With `after: 'upstream'` the request reaches the TSP first, which does the work, and
 * only its answer is replaced: the client sees a failure of something that happened (the
 * case idempotent retries exist for).
 */
export interface Fault {
  method: string;
  path: string | RegExp;
  times: number;
  after: 'upstream' | 'none';
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: give this to the SDK as `baseUrl`. */
  readonly url: string;
  /** Every request so far, in arrival order. */
  readonly exchanges: ProxiedExchange[];
  /** Where requests go (settable after start, so the TSP can be told the proxy's URL first). */
  target: string | undefined;
  inject(fault: Fault): void;
  /** Exchanges whose path matches. */
  count(method: string, path: string | RegExp): number;
  close(): Promise<void>;
}

const UNAVAILABLE = JSON.stringify({
  type: 'https://opentsp.dev/problems/service_unavailable',
  title: 'Service unavailable',
  status: 503,
  code: 'service_unavailable',
  detail: 'Injected by the test fault proxy.',
});

function matches(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === 'string' ? pattern === path : pattern.test(path);
}

function problemCode(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { code?: unknown };
    return typeof parsed.code === 'string' ? parsed.code : undefined;
  } catch {
    return undefined;
  }
}

function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * A small HTTP reverse proxy for SDK fault tests: forwards every request to `target`,
 * records it, and turns chosen answers into 503s. Unlike the TCP proxy (tcp-proxy.ts), it
 * sees requests, so a fault can hit one operation and leave the token endpoint alone.
 *
 * @example
 * ```ts
 * const proxy = await startFaultProxy(tsp.url);
 * proxy.inject({ method: 'POST', path: '/v1/tokens', times: 2, after: 'upstream' });
 * const wallet = new WalletClient({ baseUrl: proxy.url, credentials });
 * ```
 */
export async function startFaultProxy(target?: string): Promise<FaultProxy> {
  const faults: Array<Fault & { used: number }> = [];
  const exchanges: ProxiedExchange[] = [];
  const state = { target };

  const server: Server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      const path = (req.url ?? '/').split('?')[0] as string;
      const exchange: ProxiedExchange = {
        method,
        path,
        idempotencyKey: headerOf(req.headers, 'idempotency-key'),
        upstreamStatus: undefined,
        status: 0,
        replayed: false,
        code: undefined,
        userAgent: headerOf(req.headers, 'user-agent'),
        client: headerOf(req.headers, 'opentsp-client'),
      };
      exchanges.push(exchange);
      const fault = faults.find((f) => f.method === method && matches(f.path, path) && f.used < f.times);
      if (fault) fault.used++;
      const unavailable = (): void => {
        exchange.status = 503;
        res.writeHead(503, { 'content-type': 'application/problem+json' }).end(UNAVAILABLE);
      };
      if (fault?.after === 'none') return unavailable();
      if (!state.target) return unavailable();
      const upstream = http.request(new URL(req.url ?? '/', state.target), { method, headers: { ...req.headers } }, (answer) => {
        const body: Buffer[] = [];
        answer.on('data', (c: Buffer) => body.push(c));
        answer.on('end', () => {
          exchange.upstreamStatus = answer.statusCode;
          exchange.replayed = answer.headers['idempotent-replayed'] === 'true';
          if ((answer.statusCode ?? 0) >= 400) exchange.code = problemCode(Buffer.concat(body));
          if (fault) return unavailable();
          exchange.status = answer.statusCode ?? 502;
          res.writeHead(exchange.status, answer.headers).end(Buffer.concat(body));
        });
      });
      upstream.on('error', () => {
        exchange.status = 502;
        res.writeHead(502).end();
      });
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    get target() {
      return state.target;
    },
    set target(next) {
      state.target = next;
    },
    inject(fault) {
      faults.push({ ...fault, used: 0 });
    },
    count(method, path) {
      return exchanges.filter((e) => e.method === method && matches(path, e.path)).length;
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
